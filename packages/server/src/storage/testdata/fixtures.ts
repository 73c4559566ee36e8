import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  AlertSchema,
  DecisionSchema,
  EnforcementReportSchema,
  EventSchema,
  FindingSchema,
  HostInfoSchema,
  LoadSummarySchema,
  TaskEnvelopeSchema,
  type Alert,
  type Decision,
  type DioEvent,
  type EnforcementReport,
  type Finding,
  type HostInfo,
} from '@dio/protocol';
import type { AgentRecord, EnrollmentTokenRecord, TaskRecord, TelemetryRow } from '../port-agents.js';
import type { ApiKeyRecord, RefreshTokenRecord, UserRecord } from '../port-auth.js';

/**
 * Builders of valid domain objects for tests. Each output is parsed by its protocol schema, so a
 * fixture that drifts from the schema fails loudly where it is built, not deep inside a test.
 */

const BASE = Date.UTC(2026, 0, 1);

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function makeEvent(over: Partial<DioEvent> = {}): DioEvent {
  return EventSchema.parse({
    '@timestamp': iso(BASE),
    message: 'Failed password for root from 203.0.113.7 port 52144 ssh2',
    event: { kind: 'event', category: ['authentication'], action: 'ssh_login', outcome: 'failure', dataset: 'sshd' },
    source: { ip: '203.0.113.7', port: 52144 },
    user: { name: 'root' },
    host: { hostname: 'web01' },
    ...over,
  });
}

export function makeAlert(over: Partial<Alert> = {}): Alert {
  const ev = makeEvent();
  return AlertSchema.parse({
    id: `al-${randomUUID()}`,
    created_at: iso(BASE),
    scenario: 'ssh-bruteforce',
    title: 'SSH brute force from 203.0.113.7',
    severity: 'high',
    technique: { id: 'T1110.001', name: 'Password Guessing', tactic: 'credential-access' },
    group_key: '203.0.113.7',
    source: { ip: '203.0.113.7', country_iso_code: 'NL', class: 'public' },
    evidence: { count: 6, first_seen: ev['@timestamp'], last_seen: ev['@timestamp'], first_event: ev, last_event: ev },
    status: 'new',
    ...over,
  });
}

/** A ban of `value` for `duration_s` from `created_at` (expires_at follows unless overridden). */
export function makeDecision(over: Partial<Decision> = {}): Decision {
  const created = over.created_at ?? iso(BASE);
  const duration = over.duration_s ?? 14_400;
  return DecisionSchema.parse({
    id: `de-${randomUUID()}`,
    type: 'ban',
    scope: 'ip',
    value: '203.0.113.7',
    duration_s: duration,
    expires_at: iso(Date.parse(created) + duration * 1000),
    origin: 'scenario',
    scenario: 'ssh-bruteforce',
    reason: 'ssh-bruteforce: 6 failed logins',
    simulated: false,
    offense: 1,
    status: 'active',
    enforcement: { status: 'pending' },
    ...over,
    created_at: created,
  });
}

/** sha256 hex of `s`, or of 32 random bytes: what the stores keep instead of a secret. */
export function sha256Hex(s?: string): string {
  return createHash('sha256')
    .update(s ?? randomBytes(32))
    .digest('hex');
}

export function makeUser(over: Partial<UserRecord> = {}): UserRecord {
  const id = over.id ?? `us-${randomUUID()}`;
  return {
    id,
    username: `user-${id.slice(-8)}`,
    password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA',
    role: 'analyst',
    disabled: false,
    created_at: BASE,
    updated_at: BASE,
    last_login_at: null,
    failed_logins: 0,
    locked_until: null,
    ...over,
  };
}

export function makeRefreshToken(over: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
  return { token_hash: sha256Hex(), family_id: `fa-${randomUUID()}`, user_id: 'us-1', created_at: BASE, expires_at: BASE + 86_400_000, ...over };
}

export function makeApiKey(over: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return { id: randomBytes(8).toString('hex'), name: 'ci', role: 'viewer', key_hash: sha256Hex(), created_by: 'user:alice', created_at: BASE, expires_at: null, last_used_at: null, revoked: false, ...over };
}

export function makeEnrollmentToken(over: Partial<EnrollmentTokenRecord> = {}): EnrollmentTokenRecord {
  return { id: `et-${randomUUID()}`, token_hash: sha256Hex(), created_by: 'user:alice', created_at: BASE, expires_at: BASE + 3_600_000, max_uses: 1, uses: 0, labels: { env: 'prod' }, revoked: false, ...over };
}

export function makeHostInfo(over: Partial<HostInfo> = {}): HostInfo {
  return HostInfoSchema.parse({ hostname: 'web01', os: { name: 'Debian GNU/Linux', version: '12' }, kernel: '6.1.0-18-amd64', arch: 'x64', addresses: ['192.0.2.10'], cpus: 2, ...over });
}

export function makeAgent(over: Partial<AgentRecord> = {}): AgentRecord {
  const host = makeHostInfo(over.host);
  const load = over.load === undefined || over.load === null ? null : LoadSummarySchema.parse(over.load);
  return {
    id: `web-${randomUUID().slice(0, 8)}`,
    hostname: host.hostname,
    public_key: randomBytes(32).toString('base64url'),
    key_fingerprint: randomBytes(8).toString('hex'),
    state: 'active',
    enrolled_at: BASE,
    last_seen_at: null,
    last_address: null,
    heartbeat_interval_s: 30,
    version: '0.1.0',
    capabilities: ['telemetry', 'bouncer'],
    labels: { env: 'prod' },
    silent_since: null,
    token_id: 'et-1',
    ...over,
    host,
    load,
  };
}

/** A pending portscan task with an envelope that matches it (signature left as a fixed placeholder). */
export function makeTask(over: Partial<TaskRecord> = {}): TaskRecord {
  const base = { id: `tk-${randomUUID().slice(0, 8)}`, type: 'portscan' as const, params: { targets: ['192.0.2.0/28'], ports: '22,80' }, agent_id: 'web01', created_at: BASE, timeout_s: 600, ...over };
  const expires_at = over.expires_at ?? base.created_at + 3_600_000;
  const envelope =
    over.envelope ??
    TaskEnvelopeSchema.parse({
      payload: { v: 1, task_id: base.id, agent_id: base.agent_id, type: base.type, params: base.params, issued_at: iso(base.created_at), expires_at: iso(expires_at), timeout_s: base.timeout_s, nonce: randomBytes(12).toString('base64url') },
      sig: randomBytes(64).toString('base64url'),
    });
  return { status: 'pending', created_by: 'user:alice', started_at: null, finished_at: null, error: null, result: null, findings: 0, ...base, expires_at, envelope };
}

export function makeFinding(over: Partial<Finding> = {}): Finding {
  return FindingSchema.parse({ id: `fi-${randomUUID()}`, agent_id: 'web01', task_id: 'tk-1', created_at: iso(BASE), kind: 'open_port', severity: 'info', title: 'Port 22/tcp open', data: { host: '192.0.2.1', port: 22 }, ...over });
}

export function makeTelemetryRow(over: Partial<TelemetryRow> = {}): TelemetryRow {
  return { agent_id: 'web01', ts: BASE, resolution_s: 10, avg: { cpu_pct: 12.5, mem_pct: 40 }, max: { cpu_pct: 30, mem_pct: 41 }, sample: { processes: [{ pid: 1, name: 'systemd' }] }, ...over };
}

export function makeEnforcementReport(over: Partial<EnforcementReport> = {}): EnforcementReport {
  return EnforcementReportSchema.parse({ decision_id: 'de-1', status: 'applied', firewall: 'nftables', at: iso(BASE), ...over });
}

const shortText = fc.string({ maxLength: 40 });
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));

/**
 * Random valid events: any Unicode in messages (lone surrogates included), optional fields left
 * out or present, timestamps 2000..2100 (with and without a UTC offset).
 */
export function eventArbitrary(): fc.Arbitrary<DioEvent> {
  const ts = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) });
  const withOffset = fc.boolean();
  return fc
    .record(
      {
        '@timestamp': fc.tuple(ts, withOffset).map(([t, off]) => (off ? iso(t).replace('Z', '+00:00') : iso(t))),
        message: fc.string({ unit: 'binary', maxLength: 200 }),
        event: fc.record(
          {
            kind: fc.constantFrom('event', 'alert', 'signal' as const),
            action: fc.string({ unit: 'binary', maxLength: 20 }),
            dataset: fc.constantFrom('sshd', 'nginx.access', 'syslog'),
            outcome: fc.constantFrom('success', 'failure', 'unknown' as const),
            category: fc.array(fc.constantFrom('authentication', 'network', 'web'), { maxLength: 3 }),
          },
          { requiredKeys: ['kind'] },
        ),
        source: fc.record({ ip: ipv4, port: fc.integer({ min: 0, max: 65535 }) }, { requiredKeys: [] }),
        user: fc.record({ name: shortText }, { requiredKeys: [] }),
        labels: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), shortText, { maxKeys: 4 }),
      },
      { requiredKeys: ['@timestamp', 'event'] },
    )
    .map((e) => EventSchema.parse(e));
}
