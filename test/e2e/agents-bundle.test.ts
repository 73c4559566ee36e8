import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './helpers.js';
import { agentReady, createToken, killAll, poll, startAgent, startServer } from './agent-fleet.js';

/**
 * The other agent tests run the TypeScript sources; operators run the bundle, which starts V8 in
 * lite mode (bin/dio.js). This one runs the bundled agent end to end so a flag that breaks it
 * (lite mode has no WebAssembly, so nothing on the agent's path may need it: fetch/undici does) fails here.
 */
const BUNDLE = join(REPO, 'packages', 'server', 'dist', 'dio.js');

after(killAll);

test('the bundled agent (V8 lite mode) enrolls, heartbeats and verifies a decision', { skip: existsSync(BUNDLE) ? false : 'no bundle: run `npm run build`', timeout: 120_000 }, async () => {
  const server = await startServer();
  const token = await createToken(server, 1);
  const agent = startAgent(server, { id: 'bundled-1', token, env: { DIO_FROM_SOURCE: '0' } });
  await agentReady(server, agent.id, 60_000, agent);
  const [d] = await server.cliJson<{ id: string }>(['decisions', 'add', '198.51.100.77', '-d', '1h', '-r', 'bundle e2e', '-o', 'json']);
  const verified = await poll('the bundled agent to verify the ban', async () => {
    const items = (await server.api<{ items: Array<{ agent_id: string; status: string }> }>(`/api/v1/decisions/${d!.id}/enforcement`)).body.items;
    return items.find((e) => e.agent_id === agent.id && e.status === 'verified');
  }, { timeoutMs: 30_000, last: agent.output });
  assert.ok(verified);
  assert.ok(agent.running(), `the agent keeps running:\n${agent.output()}`);
  assert.doesNotMatch(agent.output(), /Check failed|WebAssembly is not defined/);
  const stop = await agent.stop();
  assert.equal(stop.code, 0, agent.output());
});
