import { join } from 'node:path';
import { TASK_TYPES, type EnrollRequest, type HeartbeatResponse } from '@dio/protocol';
import type { DioConfig } from '../config/schema.js';
import { errorMessage, isAppError } from '../shared/app-error.js';
import { systemClock } from '../shared/clock.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { createMetrics } from '../shared/metrics.js';
import { DIO_VERSION } from '../cmd/version.js';
import { acquirePidLock } from './shipping/durable-fs.js';
import { defaultAgentId, ensureStateDir, loadOrCreateKey } from './identity.js';
import { enrollOnce } from './enroll.js';
import { createSignedClient, errorOf } from './signed-client.js';
import { createTelemetryCollector } from './telemetry/telemetry-collector.js';
import { createSelfUsage } from './telemetry/self-usage.js';
import { createAgentParts, type AgentParts } from './agent-parts.js';

const EXIT_REVOKED = 3;

/** Waits `ms` with ±10 % jitter, so a fleet started together does not beat in lockstep. */
const jittered = (ms: number) => ms * (0.9 + Math.random() * 0.2);

/**
 * `dio agent`: enrolls once, then heartbeats, sends telemetry, ships logs, runs signed tasks and
 * enforces decisions — every connection outbound to its server; it opens no listening socket.
 * Exits 0 on SIGINT/SIGTERM and 3 when the server revoked it.
 */
export async function runAgent(o: { config: DioConfig; token?: string; warnings?: string[]; logger?: Logger }): Promise<number> {
  const { config } = o;
  const logger = o.logger ?? createLogger({ level: config.log_level });
  for (const w of o.warnings ?? []) logger.warn(w);
  const log = logger.child({ component: 'agent' });
  const server = config.agent.server;
  if (!server) throw new Error('no server: pass --server URL (or set agent.server in dio.yaml)');
  const stateDir = config.agent.state_dir ?? join(config.data_dir, 'agent');
  ensureStateDir(stateDir);
  const unlock = await acquirePidLock(join(stateDir, 'agent.lock'));
  const id = config.agent.id ?? defaultAgentId();
  const key = loadOrCreateKey(stateDir);
  const collector = createTelemetryCollector();
  const self = createSelfUsage();
  const capabilities = ['logs', ...(config.agent.telemetry ? ['telemetry'] : []), ...(config.agent.bouncer ? ['bouncer'] : []), ...TASK_TYPES];
  const request: Omit<EnrollRequest, 'token'> = { id, public_key: key.publicKey, version: DIO_VERSION, capabilities, labels: config.agent.labels, host: await collector.hostInfo() };

  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      stopping = true;
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  const sleep = (ms: number) => Promise.race([new Promise<void>((r) => setTimeout(r, ms).unref()), stopped]);

  // The server may not be up yet: keep trying to enroll, but give up at once on a refusal.
  let enrollment;
  for (let backoff = 1000; ; backoff = Math.min(backoff * 2, 30_000)) {
    try {
      enrollment = await enrollOnce({ server, token: o.token, stateDir, request });
      break;
    } catch (e) {
      if (!isAppError(e) || e.code !== 'agent.unreachable' || stopping) {
        await unlock();
        throw e;
      }
      log.warn({ err: e.message }, 'server unreachable; retrying enrollment');
      await sleep(backoff);
      if (stopping) return 0;
    }
  }
  log.info({ agent: id, server, state_dir: stateDir }, 'agent enrolled');

  const transport = createSignedClient({ server, agentId: id, privateKey: key.privateKey, userAgent: `dio-agent/${DIO_VERSION}` });
  const metrics = createMetrics();
  let parts: AgentParts | undefined;
  let exitCode = 0;
  try {
    parts = await createAgentParts({ config, id, stateDir, enrollment, transport, logger, metrics, clock: systemClock });
    await parts.start();
    let heartbeatMs = 30_000;
    let telemetryMs = 10_000;
    let lastSample: Awaited<ReturnType<typeof collector.sample>> | undefined;
    let revoked = false;
    const pending: NonNullable<typeof lastSample>[] = [];

    const heartbeat = async (): Promise<void> => {
      const load = { ...(lastSample ? { cpu_pct: lastSample.cpu.total_pct, mem_pct: lastSample.memory.used_pct, load1: lastSample.load.load1 } : {}), uptime_s: Math.round(process.uptime()), ...self.selfUsage(), ...parts!.load() };
      const r = await transport.request<HeartbeatResponse>('POST', '/api/v1/agent/heartbeat', { body: { version: DIO_VERSION, capabilities, labels: config.agent.labels, load } });
      if (r.status === 200 && r.body) {
        heartbeatMs = r.body.heartbeat_interval_s * 1000;
        telemetryMs = r.body.telemetry_interval_s * 1000;
        await parts!.tasks.offer(r.body.tasks);
        await parts!.tasks.retryReports();
        return;
      }
      const code = (r.body as { error?: { code?: string } } | undefined)?.error?.code;
      if (code === 'agent.revoked' || code === 'agent.unknown') {
        log.error({ error: errorOf(r) }, code === 'agent.revoked' ? 'this agent was revoked by the server; stopping' : 'the server no longer knows this agent (deleted); stopping — enroll again with a new token');
        revoked = true;
        return;
      }
      log.warn({ error: errorOf(r) }, 'heartbeat refused');
    };

    const telemetry = async (): Promise<void> => {
      lastSample = await collector.sample();
      pending.push(lastSample);
      if (pending.length > 360) pending.splice(0, pending.length - 360);
      const r = await transport.request('POST', '/api/v1/agent/telemetry', { body: { samples: pending }, gzip: true });
      if (r.status === 202) pending.length = 0;
      else if (r.status === 400 || r.status === 413) {
        log.warn({ error: errorOf(r) }, 'telemetry refused; dropping the samples');
        pending.length = 0;
      }
    };

    const loop = async (what: string, fn: () => Promise<void>, every: () => number) => {
      while (!stopping && !revoked) {
        try {
          await fn();
        } catch (e) {
          log.warn({ err: errorMessage(e) }, `${what} failed; will retry`);
        }
        await sleep(jittered(every()));
      }
    };
    await Promise.race([Promise.all([loop('heartbeat', heartbeat, () => heartbeatMs), ...(config.agent.telemetry ? [loop('telemetry', telemetry, () => telemetryMs)] : [])]), stopped]);
    stopping = true;
    if (revoked) exitCode = EXIT_REVOKED;
  } finally {
    await parts?.stop().catch((e: unknown) => log.error({ err: errorMessage(e) }, 'stopping the agent failed'));
    await unlock();
  }
  log.info({ agent: id }, 'agent stopped');
  return exitCode;
}
