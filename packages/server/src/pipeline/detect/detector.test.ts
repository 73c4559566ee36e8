import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Alert, DioEvent } from '@dio/protocol';
import { ManualClock } from '../../shared/clock.js';
import { createIdGenerator } from '../../shared/id.js';
import { defaultContentDir } from '../../cmd/content-dir.js';
import { loadScenarios } from './load-scenarios.js';
import { compileScenario } from './compile-scenario.js';
import { createDetector } from './detector.js';
import type { ParsedEvent } from '../parse/port.js';

const T0 = Date.UTC(2026, 9, 6, 0, 0, 0);
const MIN = 60_000;

function ssh(ts: number, ip: string, outcome: 'success' | 'failure', user = 'alice', action = 'ssh_login'): ParsedEvent {
  const event: DioEvent = {
    '@timestamp': new Date(ts).toISOString(),
    event: { kind: 'event', action, outcome, dataset: 'sshd', category: ['authentication'] },
    source: { ip },
    user: { name: user },
  };
  return { ts, event };
}

function http(ts: number, ip: string, path: string, status: number, ua = 'Mozilla/5.0'): ParsedEvent {
  return { ts, event: { '@timestamp': new Date(ts).toISOString(), event: { kind: 'event', action: 'http_request', dataset: 'nginx.access' }, source: { ip }, url: { original: path, path: path.split('?')[0] }, http: { response: { status_code: status } }, user_agent: { original: ua } } };
}

async function detector() {
  const scenarios = await loadScenarios(join(defaultContentDir(), 'scenarios'));
  const alerts: Alert[] = [];
  const det = createDetector({ scenarios, clock: new ManualClock(), newId: createIdGenerator(), onAlert: (a) => alerts.push(a) });
  return { det, alerts, by: (name: string) => alerts.filter((a) => a.scenario === name) };
}

test('fast brute force alerts with evidence and technique', async () => {
  const { det, by } = await detector();
  for (let i = 0; i < 30; i++) det.process(ssh(T0 + i * 2000, '198.51.100.9', 'failure', `u${i % 5}`));
  const a = by('ssh-bruteforce');
  assert.equal(a.length, 1, 'one alert, then cooldown');
  assert.equal(a[0]!.source.ip, '198.51.100.9');
  assert.equal(a[0]!.technique.id, 'T1110.001');
  assert.equal(a[0]!.severity, 'high');
  assert.equal(a[0]!.evidence.count, 11);
  assert.equal(a[0]!.evidence.first_seen, new Date(T0).toISOString());
  assert.equal(a[0]!.evidence.last_seen, new Date(T0 + 10 * 2000).toISOString());
});

test('a user mistyping a few times then logging in is never flagged', async () => {
  const { det, alerts } = await detector();
  for (let day = 0; day < 7; day++) {
    const t = T0 + day * 86_400_000;
    for (let i = 0; i < 8; i++) det.process(ssh(t + i * 15_000, '192.0.2.50', 'failure'));
    det.process(ssh(t + 3 * MIN, '192.0.2.50', 'success'));
  }
  assert.deepEqual(alerts.map((a) => a.scenario), []);
});

test('a NAT gateway with many users, some failing, is not flagged', async () => {
  const { det, alerts } = await detector();
  let t = T0;
  for (let i = 0; i < 2000; i++) {
    t += 5 * MIN;
    const user = `user${i % 120}`;
    if (i % 20 === 0) det.process(ssh(t - 20_000, '203.0.113.10', 'failure', user));
    det.process(ssh(t, '203.0.113.10', 'success', user));
  }
  assert.deepEqual(alerts.map((a) => a.scenario), []);
});

test('slow brute force over many hours is caught by the long window; a success resets it', async () => {
  const { det, by } = await detector();
  for (let i = 0; i < 40; i++) det.process(ssh(T0 + i * 50 * MIN, '198.51.100.77', 'failure', `n${i}`));
  assert.equal(by('ssh-bruteforce').length, 0, 'too slow for the fast scenario');
  const slow = by('ssh-slow-bruteforce');
  assert.equal(slow.length, 1);
  assert.equal(slow[0]!.technique.id, 'T1110.001');
  assert.equal(slow[0]!.evidence.count, 15);

  const r = await detector();
  for (let i = 0; i < 40; i++) {
    r.det.process(ssh(T0 + i * 50 * MIN, '198.51.100.78', 'failure'));
    if (i % 10 === 9) r.det.process(ssh(T0 + i * 50 * MIN + 1000, '198.51.100.78', 'success'));
  }
  assert.equal(r.by('ssh-slow-bruteforce').length, 0);
});

test('user enumeration counts distinct invalid users only', async () => {
  const { det, by } = await detector();
  for (let i = 0; i < 30; i++) det.process(ssh(T0 + i * 60_000, '198.51.100.5', 'failure', 'admin', 'ssh_invalid_user'));
  assert.equal(by('ssh-user-enumeration').length, 0, 'one name repeated is not enumeration');
  for (let i = 0; i < 10; i++) det.process(ssh(T0 + 40 * MIN + i * 60_000, '198.51.100.6', 'failure', `user${i}`, 'ssh_invalid_user'));
  const a = by('ssh-user-enumeration');
  assert.equal(a.length, 1);
  assert.equal(a[0]!.technique.id, 'T1110.003');
  assert.equal(a[0]!.evidence.distinct?.count, 10);
});

test('banner grabbers alert at low severity only', async () => {
  const { det, alerts } = await detector();
  for (let i = 0; i < 50; i++) det.process(ssh(T0 + i * 1000, '192.0.2.200', 'failure', 'x', 'ssh_probe'));
  assert.deepEqual(alerts.map((a) => [a.scenario, a.severity]), [['ssh-probe', 'low']]);
});

test('HTTP scenarios: probing, sensitive paths, scanner UA, payloads, flood', async () => {
  const { det, by } = await detector();
  for (let i = 0; i < 25; i++) det.process(http(T0 + i * 100, '203.0.113.1', `/missing-${i}`, 404));
  assert.equal(by('http-probing').length, 1);
  for (const p of ['/.env', '/.git/config', '/wp-config.php']) det.process(http(T0, '203.0.113.2', p, 404));
  assert.equal(by('http-sensitive-paths').length, 1);
  det.process(http(T0, '203.0.113.3', '/', 200, 'sqlmap/1.7.2#stable (https://sqlmap.org)'));
  assert.equal(by('http-scanner-useragent').length, 1);
  det.process(http(T0, '203.0.113.4', "/item?id=1%27%20OR%20%271%27=%271", 200));
  det.process(http(T0 + 1000, '203.0.113.4', '/search?q=%3Cscript%3Ealert(1)%3C/script%3E', 200));
  const p = by('http-exploit-payloads');
  assert.equal(p.length, 1);
  assert.equal(p[0]!.technique.id, 'T1190');
  for (let i = 0; i < 400; i++) det.process(http(T0 + i * 20, '203.0.113.5', '/', 200));
  assert.equal(by('http-flood').length, 1);
  // A normal visitor: a few 404s, normal pages.
  for (let i = 0; i < 30; i++) det.process(http(T0 + i * 5000, '192.0.2.9', i % 10 === 0 ? '/favicon.ico' : `/page/${i % 5}`, i % 10 === 0 ? 404 : 200));
  assert.equal(by('http-probing').length + by('http-flood').length, 2, 'the visitor adds nothing');
});

test('bucket memory is bounded: drained buckets are swept, overflow evicts', async () => {
  const scenarios = await loadScenarios(join(defaultContentDir(), 'scenarios'), ['ssh-bruteforce']);
  const det = createDetector({ scenarios, clock: new ManualClock(), newId: createIdGenerator(), maxBuckets: 1000, onAlert: () => {} });
  for (let i = 0; i < 5000; i++) det.process(ssh(T0 + i, `10.0.${i >> 8}.${i & 255}`, 'failure'));
  assert.ok(det.stats().buckets <= 1000);
  assert.ok(det.stats().evicted >= 4000);
  det.process(ssh(T0 + 3600_000, '10.9.9.9', 'failure'));
  assert.equal(det.stats().buckets, 1, 'an hour later every old bucket has drained and is swept');
});

test('invalid scenario content is refused with file and key', () => {
  assert.throws(() => compileScenario({ name: 'x1', description: 'd', type: 'leaky', filter: {}, group_by: 'source.ip', alert: { title: 't', severity: 'high', technique: { id: 'T1110', name: 'n', tactic: 't' } } }, 'bad.yaml'), /bad\.yaml: .*needs capacity and leak_speed/);
  assert.throws(() => compileScenario({ name: 'x1', description: 'd', type: 'trigger', filter: { 'a.b': { regex: '(a+)+$' } }, group_by: 'source.ip', alert: { title: 't', severity: 'high', technique: { id: 'T1110', name: 'n', tactic: 't' } } }, 'evil.yaml'), /evil\.yaml: .*nested quantifier/);
  assert.throws(() => compileScenario({ name: 'x1', description: 'd', type: 'trigger', bogus: 1, filter: {}, group_by: 'source.ip', alert: { title: 't', severity: 'high', technique: { id: 'T1110', name: 'n', tactic: 't' } } }, 'f.yaml'), /unknown key bogus/);
});
