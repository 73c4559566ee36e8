import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './load-config.js';
import { describeConfig, redact } from './describe-config.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'dio-config-'));

test('defaults apply with no file, env or flags', () => {
  const { config, origins } = loadConfig({ env: {} });
  assert.equal(config.api.listen, '127.0.0.1:8080');
  assert.equal(config.respond.firewall, 'dry-run');
  assert.equal(config.decide.simulation, false);
  assert.equal(origins.size, 0);
  assert.ok(Object.isFrozen(config.api));
});

test('precedence: file < env < flags, with origins', () => {
  const f = join(tmp(), 'dio.yaml');
  writeFileSync(f, 'api:\n  listen: 127.0.0.1:7000\nlog_level: debug\ndecide:\n  allowlist: [192.0.2.0/24]\n');
  const { config, origins } = loadConfig({
    file: f,
    env: { DIO_API_LISTEN: '127.0.0.1:7100', DIO_DECIDE_SIMULATION: 'true' },
    flags: [{ path: 'api.listen', value: '127.0.0.1:7200', flag: '--listen' }],
  });
  assert.equal(config.api.listen, '127.0.0.1:7200');
  assert.equal(origins.get('api.listen'), 'flag:--listen');
  assert.equal(config.log_level, 'debug');
  assert.equal(origins.get('log_level'), `file:${f}`);
  assert.equal(config.decide.simulation, true);
  assert.equal(origins.get('decide.simulation'), 'env:DIO_DECIDE_SIMULATION');
  assert.deepEqual(config.decide.allowlist, ['192.0.2.0/24']);
});

test('unknown keys in the file are rejected naming file and key', () => {
  const f = join(tmp(), 'dio.yaml');
  writeFileSync(f, 'api:\n  lisen: 127.0.0.1:7000\n');
  assert.throws(() => loadConfig({ file: f, env: {} }), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'config.invalid');
    assert.match(e.message, new RegExp(f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
    assert.match(e.message, /unknown key api\.lisen/);
    return true;
  });
});

test('invalid values are explained', () => {
  assert.throws(() => loadConfig({ env: { DIO_API_LISTEN: 'nonsense' } }), /api\.listen: expected HOST:PORT/);
  assert.throws(() => loadConfig({ env: { DIO_DECIDE_SIMULATION: 'maybe' } }), /not a boolean/);
  assert.throws(() => loadConfig({ env: { DIO_DECIDE_ALLOWLIST: '10.0.0.0/33' } }), /decide\.allowlist\.0: not a valid IP address or CIDR range/);
  const f = join(tmp(), 'bad.yaml');
  writeFileSync(f, 'api: [unclosed');
  assert.throws(() => loadConfig({ file: f, env: {} }), /invalid YAML/);
});

test('missing file is fine unless required', () => {
  assert.doesNotThrow(() => loadConfig({ file: '/nonexistent/dio.yaml', env: {} }));
  assert.throws(() => loadConfig({ file: '/nonexistent/dio.yaml', requireFile: true, env: {} }), /cannot read config file/);
});

test('unknown DIO_ variables warn, credentials are not config', () => {
  const { warnings } = loadConfig({ env: { DIO_NOPE: '1', DIO_API_KEY: 'x' } });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /DIO_NOPE/);
});

test('config show lists every leaf with its origin and redacts secrets', () => {
  const loaded = loadConfig({ env: { DIO_LOG_LEVEL: 'warn' } });
  const rows = describeConfig(loaded);
  const row = rows.find((r) => r.key === 'log_level');
  assert.deepEqual(row, { key: 'log_level', value: 'warn', origin: 'env:DIO_LOG_LEVEL' });
  assert.ok(rows.find((r) => r.key === 'respond.firewall'));
  assert.deepEqual(redact({ db: { password: 'hunter2', host: 'x' } }), { db: { password: '[redacted]', host: 'x' } });
});
