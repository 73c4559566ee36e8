import type { Kysely } from 'kysely';
import type { DbSchema } from '../migrations/schema.js';
import type { AgentStore, DecisionFeedStore, TaskStore, TelemetryStore } from '../port-agents.js';
import type { AuthStore } from '../port-auth.js';
import * as agents from './agent-queries.js';
import * as auth from './auth-queries.js';
import * as feed from './feed-queries.js';
import * as refresh from './refresh-token-queries.js';
import * as tasks from './task-queries.js';
import * as telemetry from './telemetry-queries.js';

/** The adapter's wrapper: store-closed and file checks, error mapping, in-flight tracking. */
export type Guard = <T>(op: string, kind: 'read' | 'write', fn: () => Promise<T>) => Promise<T>;

export interface SubStores {
  auth: AuthStore;
  agents: AgentStore;
  tasks: TaskStore;
  telemetry: TelemetryStore;
  feed: DecisionFeedStore;
}

/**
 * The auth and fleet parts of the Store over the dialect-neutral query modules; every method runs
 * through `guard`, so it fails the same way as the rest of the Store. A PostgreSQL adapter can
 * reuse this with its own guard.
 */
export function createSubStores(db: Kysely<DbSchema>, guard: Guard): SubStores {
  const r =
    <A extends unknown[], T>(op: string, fn: (db: Kysely<DbSchema>, ...a: A) => Promise<T>) =>
    (...a: A) =>
      guard(op, 'read', () => fn(db, ...a));
  const w =
    <A extends unknown[], T>(op: string, fn: (db: Kysely<DbSchema>, ...a: A) => Promise<T>) =>
    (...a: A) =>
      guard(op, 'write', () => fn(db, ...a));

  return {
    auth: {
      insertUser: w('insertUser', auth.insertUser),
      getUser: r('getUser', auth.getUser),
      getUserByName: r('getUserByName', auth.getUserByName),
      listUsers: r('listUsers', auth.listUsers),
      countUsers: r('countUsers', auth.countUsers),
      updateUser: w('updateUser', auth.updateUser),
      insertRefreshToken: w('insertRefreshToken', refresh.insertRefreshToken),
      rotateRefreshToken: w('rotateRefreshToken', refresh.rotateRefreshToken),
      revokeRefreshFamily: w('revokeRefreshFamily', refresh.revokeRefreshFamily),
      revokeUserRefreshTokens: w('revokeUserRefreshTokens', refresh.revokeUserRefreshTokens),
      purgeRefreshTokens: w('purgeRefreshTokens', refresh.purgeRefreshTokens),
      insertApiKey: w('insertApiKey', auth.insertApiKey),
      getApiKey: r('getApiKey', auth.getApiKey),
      listApiKeys: r('listApiKeys', auth.listApiKeys),
      updateApiKey: w('updateApiKey', auth.updateApiKey),
      getSecret: r('getSecret', auth.getSecret),
      putSecretIfAbsent: w('putSecretIfAbsent', auth.putSecretIfAbsent),
    },
    agents: {
      insertEnrollmentToken: w('insertEnrollmentToken', agents.insertEnrollmentToken),
      getEnrollmentToken: r('getEnrollmentToken', agents.getEnrollmentToken),
      listEnrollmentTokens: r('listEnrollmentTokens', agents.listEnrollmentTokens),
      revokeEnrollmentToken: w('revokeEnrollmentToken', agents.revokeEnrollmentToken),
      consumeEnrollmentToken: w('consumeEnrollmentToken', agents.consumeEnrollmentToken),
      insertAgent: w('insertAgent', agents.insertAgent),
      getAgent: r('getAgent', agents.getAgent),
      listAgents: r('listAgents', agents.listAgents),
      updateAgent: w('updateAgent', agents.updateAgent),
      deleteAgent: w('deleteAgent', agents.deleteAgent),
      useNonce: w('useNonce', agents.useNonce),
      purgeNonces: w('purgeNonces', agents.purgeNonces),
    },
    tasks: {
      insertTasks: w('insertTasks', tasks.insertTasks),
      getTask: r('getTask', tasks.getTask),
      listTasks: r('listTasks', tasks.listTasks),
      pendingTasks: r('pendingTasks', tasks.pendingTasks),
      updateTask: w('updateTask', tasks.updateTask),
      timeoutTasks: w('timeoutTasks', tasks.timeoutTasks),
      insertFindings: w('insertFindings', tasks.insertFindings),
      listFindings: r('listFindings', tasks.listFindings),
    },
    telemetry: {
      insertTelemetry: w('insertTelemetry', telemetry.insertTelemetry),
      queryTelemetry: r('queryTelemetry', telemetry.queryTelemetry),
      latestTelemetry: r('latestTelemetry', telemetry.latestTelemetry),
      downsampleTelemetry: w('downsampleTelemetry', telemetry.downsampleTelemetry),
      purgeTelemetry: w('purgeTelemetry', telemetry.purgeTelemetry),
    },
    feed: {
      appendDecisionChange: w('appendDecisionChange', feed.appendDecisionChange),
      listDecisionChanges: r('listDecisionChanges', feed.listDecisionChanges),
      decisionChangeBounds: r('decisionChangeBounds', feed.decisionChangeBounds),
      purgeDecisionChanges: w('purgeDecisionChanges', feed.purgeDecisionChanges),
      upsertEnforcement: w('upsertEnforcement', feed.upsertEnforcement),
      listEnforcement: r('listEnforcement', feed.listEnforcement),
    },
  };
}
