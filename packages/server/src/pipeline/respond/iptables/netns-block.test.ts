import { inNetns, runNetnsBlockSuite } from '../netns-block.case.test.js';
import { netnsSkipReason } from '../netns-fixture.js';
import { createIptablesFirewall } from './iptables-firewall.js';

runNetnsBlockSuite(
  {
    name: 'iptables + ipset',
    make: ({ logger, netns }) => createIptablesFirewall({ logger, netns }),
    dumpRules: async (ns) =>
      [await inNetns(ns, 'iptables', ['-w', '5', '-S']), await inNetns(ns, 'ip6tables', ['-w', '5', '-S']), await inNetns(ns, 'ipset', ['list', '-n'])].join('\n'),
    // DIO-INPUT and DIO-FORWARD per family, plus one jump each from INPUT and FORWARD
    expectedDropRules: 8,
    dropRule: /^-A (DIO-INPUT|DIO-FORWARD) -m set --match-set dio-ban-v[46] src -j DROP$|^-A (INPUT -j DIO-INPUT|FORWARD -j DIO-FORWARD)$/,
  },
  await netnsSkipReason(['ip', 'ipset', 'iptables', 'ip6tables', 'iptables-restore', 'ip6tables-restore']),
);
