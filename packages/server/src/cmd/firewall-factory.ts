import type { DioConfig } from '../config/schema.js';
import type { Logger } from '../shared/logger.js';
import type { Firewall } from '../pipeline/respond/port.js';
import { createDryRunFirewall } from '../pipeline/respond/dry-run/dry-run-firewall.js';
import { createNftablesFirewall } from '../pipeline/respond/nftables/nftables-firewall.js';
import { createIptablesFirewall } from '../pipeline/respond/iptables/iptables-firewall.js';

/** Picks the firewall adapter from configuration (dry-run unless told otherwise). */
export function createFirewall(config: Readonly<DioConfig>, logger: Logger): Firewall {
  // Adapters name their own component in logs.
  const log = logger;
  switch (config.respond.firewall) {
    case 'nftables':
      return createNftablesFirewall({ logger: log, table: config.respond.nft_table, ...(config.respond.netns ? { netns: config.respond.netns } : {}) });
    case 'iptables':
      return createIptablesFirewall({ logger: log, ...(config.respond.netns ? { netns: config.respond.netns } : {}) });
    default:
      return createDryRunFirewall({ logger: log, render: 'nftables' });
  }
}
