import type { Alert } from '@dio/protocol';
import type { ParsedEvent } from '../parse/port.js';
import type { CompiledScenario } from './compile-scenario.js';

export interface BucketView {
  count: number;
  first: ParsedEvent;
  lastEvent: ParsedEvent;
  distinct?: Set<string>;
}

/** Turns an overflowing bucket into an Alert carrying its evidence. */
export function buildAlert(sc: CompiledScenario, key: string, b: BucketView, now: number, id: string): Alert {
  const first = b.first.event;
  const last = b.lastEvent.event;
  const src = last.source ?? first.source;
  const alert: Alert = {
    id,
    created_at: new Date(now).toISOString(),
    scenario: sc.spec.name,
    scenario_version: sc.spec.version,
    title: sc.title(last),
    severity: sc.spec.alert.severity,
    technique: sc.spec.alert.technique,
    group_key: key,
    source: {},
    evidence: {
      count: b.count,
      first_seen: first['@timestamp'],
      last_seen: last['@timestamp'],
      first_event: first,
      last_event: last,
    },
    status: 'new',
  };
  const ip = sc.spec.group_by === 'source.ip' ? key : src?.ip;
  if (ip) alert.source.ip = ip;
  if (src?.geo?.country_iso_code) alert.source.country_iso_code = src.geo.country_iso_code;
  const cls = last.dio?.source_class;
  if (cls) alert.source.class = cls;
  if (b.distinct && sc.spec.distinct) {
    alert.evidence.distinct = { field: sc.spec.distinct, count: b.distinct.size, sample: [...b.distinct].slice(0, 50).map((s) => s.slice(0, 512)) };
  }
  if (sc.spec.labels) alert.labels = { ...sc.spec.labels };
  const input = last.dio?.input;
  if (input) alert.origin = input;
  return alert;
}
