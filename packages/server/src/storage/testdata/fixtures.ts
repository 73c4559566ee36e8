import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { AlertSchema, DecisionSchema, EventSchema, type Alert, type Decision, type DioEvent } from '@dio/protocol';

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
