import { inNetns, runNetnsBlockSuite } from '../netns-block.case.test.js';
import { netnsSkipReason } from '../netns-fixture.js';
import { createNftablesFirewall } from './nftables-firewall.js';

runNetnsBlockSuite(
  {
    name: 'nftables',
    make: ({ logger, netns }) => createNftablesFirewall({ logger, netns }),
    dumpRules: (ns) => inNetns(ns, 'nft', ['list', 'ruleset']),
    // input and forward chains, one rule per family each
    expectedDropRules: 4,
    dropRule: /saddr @dio_ban_v[46] counter packets \d+ bytes \d+ drop/,
  },
  await netnsSkipReason(['ip', 'nft']),
);
