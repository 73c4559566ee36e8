import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Alert, Decision } from '@dio/protocol';
import { createMemoryBroker } from '../broker/memory/memory-broker.js';
import { silentLogger } from '../shared/logger.js';
import { createMetrics } from '../shared/metrics.js';
import { createSqliteStore } from '../storage/sqlite/sqlite-store.js';
import { makeAlert } from '../storage/testdata/fixtures.js';
import type { DecisionEngine } from './decide/decision-engine.js';
import { ALERTS_SUBJECT, createAlertFlow } from './alert-flow.js';

test('an alert is stored and shown once even when decide fails and it is redelivered; garbage is dropped', async () => {
  const store = createSqliteStore({ path: ':memory:' });
  await store.migrate();
  const broker = createMemoryBroker();
  let calls = 0;
  const decide = {
    onAlert: (a: Alert) => {
      calls++;
      if (calls === 1) return Promise.reject(new Error('store busy'));
      return Promise.resolve({ id: 'D1', value: a.source.ip } as Decision);
    },
  } as unknown as DecisionEngine;
  const live: string[] = [];
  const printed: string[] = [];
  const decided: Decision[] = [];
  const flow = createAlertFlow({ broker, store, decide, publishLive: (m) => live.push(m.type), metrics: createMetrics(), logger: silentLogger(), onAlert: (a) => printed.push(a.id), onDecision: (d) => decided.push(d) });
  await flow.start();
  await broker.publish(ALERTS_SUBJECT, new TextEncoder().encode('{not json'));
  const alert = makeAlert();
  await flow.submit([alert]);
  await flow.drain(10_000);
  assert.equal(calls, 2, 'decide retried after the failure');
  assert.equal(decided.length, 1);
  assert.deepEqual(printed, [alert.id], 'reported once');
  assert.deepEqual(live, ['alert']);
  assert.equal((await store.listAlerts({ limit: 10 })).items.length, 1);
  await flow.stop();
  await broker.close();
  await store.close();
});
