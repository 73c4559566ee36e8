import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { ManualClock } from '../../../shared/clock.js';
import { createLogger, silentLogger } from '../../../shared/logger.js';
import { runFirewallContract } from '../firewall.case.test.js';
import { createDryRunFirewall } from './dry-run-firewall.js';

runFirewallContract('dry-run (nftables)', () => Promise.resolve(createDryRunFirewall({ logger: silentLogger(), render: 'nftables' })), () => Promise.resolve());
runFirewallContract('dry-run (iptables)', () => Promise.resolve(createDryRunFirewall({ logger: silentLogger(), render: 'iptables' })), () => Promise.resolve());

function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

describe('dry-run firewall', () => {
  test('entries expire by the injected clock', async () => {
    const clock = new ManualClock();
    const fw = createDryRunFirewall({ logger: silentLogger(), render: 'nftables', clock });
    await fw.init();
    await fw.apply([{ value: '192.0.2.1', expiresAt: clock.now() + 2000 }, { value: '192.0.2.2', expiresAt: clock.now() + 60_000 }], []);
    assert.deepEqual(await fw.list(), ['192.0.2.1', '192.0.2.2']);
    assert.deepEqual(await fw.entries(), [
      { value: '192.0.2.1', expiresAt: clock.now() + 2000 },
      { value: '192.0.2.2', expiresAt: clock.now() + 60_000 },
    ]);
    clock.advance(2000);
    assert.deepEqual(await fw.list(), ['192.0.2.2']);
    clock.advance(60_000);
    assert.deepEqual(await fw.list(), []);
  });

  test('nftables render: logs and returns the exact nft script, with timeouts from the clock', async () => {
    const clock = new ManualClock();
    const { logger, lines } = captureLogger();
    const fw = createDryRunFirewall({ logger, render: 'nftables', clock });
    await fw.init();
    assert.match(String(lines[0]?.command), /^nft -f - <<'EOF'\nadd table inet dio\n/);
    const r = await fw.apply([{ value: '192.0.2.1', expiresAt: clock.now() + 3_600_000 }, { value: '2001:db8::/32', expiresAt: clock.now() + 90_500 }], []);
    assert.deepEqual(r.commands, [
      "nft -f - <<'EOF'\nadd element inet dio dio_ban_v4 { 192.0.2.1 timeout 3600s }\nadd element inet dio dio_ban_v6 { 2001:db8::/32 timeout 91s }\nEOF",
    ]);
    assert.equal(lines.at(-1)?.command, r.commands[0]);
    const refresh = await fw.apply([{ value: '192.0.2.1', expiresAt: clock.now() + 7_200_000 }], ['2001:db8::/32', '198.51.100.1']);
    assert.deepEqual(refresh.commands, [
      "nft -f - <<'EOF'\ndelete element inet dio dio_ban_v4 { 192.0.2.1 }\nadd element inet dio dio_ban_v4 { 192.0.2.1 timeout 7200s }\ndelete element inet dio dio_ban_v6 { 2001:db8::/32 }\nEOF",
    ]);
    assert.deepEqual((await fw.apply([], ['198.51.100.1'])).commands, []);
  });

  test('iptables render: ipset restore script', async () => {
    const clock = new ManualClock();
    const fw = createDryRunFirewall({ logger: silentLogger(), render: 'iptables', clock });
    await fw.init();
    await fw.apply([{ value: '192.0.2.9', expiresAt: clock.now() + 60_000 }], []);
    const r = await fw.apply([{ value: '192.0.2.1', expiresAt: clock.now() + 3_600_000 }, { value: '2001:db8::/32', expiresAt: clock.now() + 60_000 }], ['192.0.2.9']);
    assert.deepEqual(r.commands, ["ipset restore -exist <<'EOF'\ndel dio-ban-v4 192.0.2.9\nadd dio-ban-v4 192.0.2.1 timeout 3600\nadd dio-ban-v6 2001:db8::/32 timeout 60\nEOF"]);
  });

  test('never runs anything: the module has no way to spawn a process', async () => {
    const src = await readFile(new URL('./dry-run-firewall.ts', import.meta.url), 'utf8');
    assert.doesNotMatch(src, /child_process|runCommand|CommandRunner/);
  });
});
