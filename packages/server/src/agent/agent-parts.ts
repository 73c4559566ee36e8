import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { LoadSummary } from '@dio/protocol';
import { createFirewall } from '../cmd/firewall-factory.js';
import { defaultContentDir } from '../cmd/content-dir.js';
import type { DioConfig } from '../config/schema.js';
import { loadParsers } from '../pipeline/parse/load-parsers.js';
import { BUILTIN_ALLOWLIST } from '../pipeline/decide/builtin-allowlist.js';
import { publicKeyFromRaw } from '../shared/agent-signature.js';
import type { Clock } from '../shared/clock.js';
import { IpSet } from '../shared/ip-set.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import { createBouncer, type Bouncer } from './bouncer.js';
import type { EnrollmentState } from './identity.js';
import { openDiskSpool } from './shipping/disk-spool.js';
import { createLogShipper, type LogShipper } from './shipping/log-shipper.js';
import { createSpoolOffsets } from './shipping/spool-offsets.js';
import { createTaskExecutor, type TaskExecutor } from './task-executor.js';
import type { AgentTransport } from './transport.js';
import type { DiskSpool } from './shipping/port.js';

export interface AgentParts {
  tasks: TaskExecutor;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Counters for the heartbeat's load summary. */
  load(): LoadSummary;
}

/**
 * The agent's working parts, each optional by configuration: the bouncer (decision feed →
 * firewall), the log shipper (tails → parsers → disk spool → ingest) and the task executor.
 */
export async function createAgentParts(d: { config: DioConfig; id: string; stateDir: string; enrollment: EnrollmentState; transport: AgentTransport; logger: Logger; metrics: Metrics; clock: Clock }): Promise<AgentParts> {
  const { config } = d;
  const tasks = createTaskExecutor({ transport: d.transport, serverKey: publicKeyFromRaw(d.enrollment.server_key), agentId: d.id, policy: config.agent.tasks, stateDir: d.stateDir, clock: d.clock, logger: d.logger });
  let bouncer: Bouncer | undefined;
  if (config.agent.bouncer) {
    bouncer = createBouncer({
      transport: d.transport,
      firewall: createFirewall(config, d.logger),
      stateDir: d.stateDir,
      allowlist: new IpSet([...BUILTIN_ALLOWLIST, ...config.agent.allowlist]),
      clock: d.clock,
      logger: d.logger,
      metrics: d.metrics,
      verify: config.respond.verify,
    });
  }
  let shipper: LogShipper | undefined;
  let spool: DiskSpool | undefined;
  if (config.agent.sources.length) {
    const parser = await loadParsers(join(config.content_dir ?? defaultContentDir(), 'parsers'), { logger: d.logger });
    spool = await openDiskSpool({ dir: join(d.stateDir, 'spool'), agentId: spoolIdOf(d.id), logger: d.logger, clock: d.clock, maxBytes: config.agent.spool_max_bytes });
    const offsets = createSpoolOffsets({ path: join(d.stateDir, 'offsets.json'), spool, logger: d.logger });
    shipper = createLogShipper({
      agentId: d.id,
      sources: config.agent.sources.map((s) => ({ path: s.path, type: s.parser, startAt: s.start_at })),
      parser,
      spool,
      transport: d.transport,
      offsets,
      logger: d.logger,
      metrics: d.metrics,
      tail: { maxLineBytes: config.limits.max_line_bytes },
    });
  }
  return {
    tasks,
    async start() {
      await bouncer?.start();
      await shipper?.start();
    },
    async stop() {
      tasks.stop();
      await shipper?.stop();
      await spool?.close();
      await bouncer?.stop();
    },
    load() {
      const s = shipper?.stats();
      const b = bouncer?.stats();
      return {
        ...(s ? { spool_batches: s.spool.batches, spool_bytes: s.spool.bytes, spool_dropped: s.spool.dropped_batches, events_shipped: s.events_shipped } : {}),
        ...(b ? { decisions_enforced: b.enforced } : {}),
      };
    },
  };
}

/** The spool names batches `${id}-…` and allows ids up to 80 characters; longer ids are shortened to a stable hash. */
export function spoolIdOf(agentId: string): string {
  return agentId.length <= 80 ? agentId : `a${createHash('sha256').update(agentId).digest('hex').slice(0, 40)}`;
}
