import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigSchema } from '../config/schema.js';
import { agentConfig } from './agent-command.js';

const flags = { source: [] as string[], label: [] as string[], allow: [] as string[], scanTarget: [] as string[], bouncer: true, telemetry: true };

test('dio agent flags fold into the validated config', () => {
  const c = agentConfig(ConfigSchema.parse({}), { ...flags, server: 'http://127.0.0.1:8080', source: ['/var/log/auth.log:sshd', '/srv/app.log'], label: ['role=web'], allow: ['10.0.0.0/8'], scanTarget: ['192.0.2.0/28'], bouncer: false });
  assert.deepEqual(c.agent.sources, [
    { path: '/var/log/auth.log', parser: 'sshd', start_at: 'end' },
    { path: '/srv/app.log', parser: 'auto', start_at: 'end' },
  ]);
  assert.deepEqual(c.agent.labels, { role: 'web' });
  assert.deepEqual(c.agent.allowlist, ['10.0.0.0/8']);
  assert.deepEqual(c.agent.tasks.scan_targets, ['192.0.2.0/28']);
  assert.equal(c.agent.bouncer, false);
  // --from-beginning: files never seen before are read from their first line (stored offsets still win).
  assert.equal(agentConfig(ConfigSchema.parse({}), { ...flags, source: ['/x.log'], fromBeginning: true }).agent.sources[0]!.start_at, 'beginning');
});

test('bad agent flags are refused with the flag named', () => {
  assert.throws(() => agentConfig(ConfigSchema.parse({}), { ...flags, label: ['novalue'] }), /--label expects key=value/);
  assert.throws(() => agentConfig(ConfigSchema.parse({}), { ...flags, allow: ['not-an-ip'] }), (e: Error & { code?: string }) => e.code === 'config.invalid' && /agent\.allowlist/.test(e.message));
  assert.throws(() => agentConfig(ConfigSchema.parse({}), { ...flags, server: 'not a url' }), /agent\.server/);
});
