import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bruteForce, run, tmp } from './helpers.js';

const benign = 'Oct  6 08:00:00 web01 sshd[100]: Accepted publickey for alice from 192.0.2.10 port 5000 ssh2: ED25519 SHA256:x\nOct  6 08:00:01 web01 CRON[101]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)\nthis line is not syslog at all\n';

test('dio replay -o json: alerts, decisions with value, and a summary line last', async () => {
  const dir = tmp();
  const f = join(dir, 'auth.log');
  writeFileSync(f, benign + bruteForce('203.0.113.45', 12, new Date(Date.UTC(2026, 9, 6, 8, 1))));
  const r = await run(['replay', f, '-o', 'json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const alerts = lines.filter((l) => l.kind === 'alert');
  const decisions = lines.filter((l) => l.kind === 'decision');
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.scenario, 'ssh-bruteforce');
  assert.equal(decisions.length, 1);
  assert.equal(decisions[0]!.value, '203.0.113.45');
  assert.ok(Date.parse(decisions[0]!.expires_at as string) > Date.now(), 'the ban counts from now although the log is old');
  const summary = lines[lines.length - 1]!;
  assert.equal(summary.kind, 'summary');
  assert.equal(summary.lines, 15);
  assert.equal(summary.parsed, 14);
  assert.equal(summary.unparsed, 1);
  assert.equal(summary.alerts, 1);
  assert.equal(summary.decisions, 1);
  assert.equal(typeof summary.seconds, 'number');
});

test('dio replay reads gzip and prints tables by default', async () => {
  const dir = tmp();
  const f = join(dir, 'auth.log.gz');
  writeFileSync(f, gzipSync(bruteForce('198.51.100.7', 12)));
  const r = await run(['replay', f], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /ssh-bruteforce\s+high\s+198\.51\.100\.7/);
  assert.match(r.stdout, /12 lines \(12 parsed, 0 unparsed\) → 1 alerts, 1 decisions/);
});

test('a truncated gzip: the lines before the damage are processed, then a clear error and exit 1', async () => {
  const dir = tmp();
  const f = join(dir, 'cut.log.gz');
  const gz = gzipSync(bruteForce('198.51.100.9', 5000));
  writeFileSync(f, gz.subarray(0, Math.floor(gz.length * 0.6)));
  const r = await run(['replay', f, '-o', 'json'], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /gzip stream truncated/);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as { lines: number; error: string };
  assert.ok(summary.lines > 0);
  assert.match(summary.error, /truncated/);
});

test('binary, overlong and invalid UTF-8 lines are counted, never fatal', async () => {
  const dir = tmp();
  const f = join(dir, 'junk.log');
  writeFileSync(f, Buffer.concat([Buffer.from('\x00\x01\x02\x03binary\x00\n'), Buffer.from('x'.repeat(100_000) + '\n'), Buffer.from([0xff, 0xfe, 0x41, 0x0a]), Buffer.from(bruteForce('198.51.100.10', 1))]));
  const r = await run(['replay', f, '-o', 'json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout.trim().split('\n').pop()!) as { dropped: Record<string, number>; parsed: number };
  assert.equal(s.dropped.binary, 1);
  assert.equal(s.dropped.overlong, 1);
  assert.equal(s.dropped.invalid_utf8, 1);
  assert.equal(s.parsed, 1);
});

test('replay of a missing file says so and exits 2', async () => {
  const r = await run(['replay', '/nonexistent/auth.log']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot read \/nonexistent\/auth\.log/);
});

test('dio config show: effective values with origins; unknown keys name file and key', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'dio.yaml'), 'decide:\n  simulation: true\n');
  const r = await run(['config', 'show', '-o', 'json'], { cwd: dir, env: { DIO_API_LISTEN: '127.0.0.1:9999' } });
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Array<{ key: string; value: unknown; origin: string }>;
  assert.deepEqual(rows.find((x) => x.key === 'api.listen'), { key: 'api.listen', value: '127.0.0.1:9999', origin: 'env:DIO_API_LISTEN' });
  assert.deepEqual(rows.find((x) => x.key === 'decide.simulation'), { key: 'decide.simulation', value: true, origin: 'file:dio.yaml' });
  writeFileSync(join(dir, 'dio.yaml'), 'decide:\n  simulaton: true\n');
  const bad = await run(['config', 'show'], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /dio\.yaml: unknown key decide\.simulaton/);
});

test('dio replay - reads standard input', async () => {
  const r = await run(['replay', '-', '-o', 'json'], { input: bruteForce('198.51.100.55', 12) });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(lines.some((l) => l.kind === 'decision' && l.value === '198.51.100.55'));
  assert.equal(lines[lines.length - 1]!.lines, 12);
});
