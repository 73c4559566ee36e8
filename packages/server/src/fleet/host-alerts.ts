import type { Alert, AttackTechnique, DioEvent, ProcessSample, Severity } from '@dio/protocol';
import type { AgentRecord } from '../storage/port-agents.js';

/**
 * Alerts about hosts rather than about a remote source: an agent gone silent, a telemetry
 * anomaly, malware found by a scan. They travel the same alert flow as log alerts (stored, shown
 * live, offered to decide — which makes no ban: there is no source address).
 */
export const TECHNIQUES = {
  /** An agent that stops reporting may have been stopped on purpose. */
  silent: { id: 'T1562.001', name: 'Impair Defenses: Disable or Modify Tools', tactic: 'defense-evasion' },
  /** Sustained CPU or memory far above a host's normal: the classic sign of a miner. */
  resources: { id: 'T1496', name: 'Resource Hijacking', tactic: 'impact' },
  malware: { id: 'T1204.002', name: 'User Execution: Malicious File', tactic: 'execution' },
} as const satisfies Record<string, AttackTechnique>;

export interface HostAlertInput {
  id: string;
  now: number;
  agent: AgentRecord;
  scenario: string;
  title: string;
  severity: Severity;
  technique: AttackTechnique;
  action: string;
  message: string;
  /** Event time of the first evidence (default now). */
  firstSeen?: number;
  count?: number;
  processes?: readonly ProcessSample[];
  metrics?: Record<string, number>;
  labels?: Record<string, string>;
}

function hostEvent(a: AgentRecord, at: number, action: string, message: string): DioEvent {
  return {
    '@timestamp': new Date(at).toISOString(),
    message: message.slice(0, 65536),
    event: { kind: 'alert', category: ['host'], action, dataset: 'dio.agent', module: 'dio' },
    host: { hostname: a.hostname.slice(0, 4096), ip: a.host.addresses.slice(0, 64) },
    observer: { type: 'agent', name: a.id },
    dio: { agent_id: a.id },
  };
}

export function buildHostAlert(i: HostAlertInput): Alert {
  const first = hostEvent(i.agent, i.firstSeen ?? i.now, i.action, i.message);
  const last = hostEvent(i.agent, i.now, i.action, i.message);
  const alert: Alert = {
    id: i.id,
    created_at: new Date(i.now).toISOString(),
    scenario: i.scenario,
    title: i.title.slice(0, 512),
    severity: i.severity,
    technique: i.technique,
    group_key: i.agent.id,
    source: {},
    evidence: {
      count: i.count ?? 1,
      first_seen: first['@timestamp'],
      last_seen: last['@timestamp'],
      first_event: first,
      last_event: last,
      host: {
        agent_id: i.agent.id,
        hostname: i.agent.hostname.slice(0, 255),
        addresses: i.agent.host.addresses.slice(0, 64),
        os: [i.agent.host.os.name, i.agent.host.os.version].filter(Boolean).join(' ').slice(0, 256),
        kernel: i.agent.host.kernel.slice(0, 256),
      },
    },
    status: 'new',
    origin: `agent:${i.agent.id}`,
  };
  if (i.processes?.length) {
    alert.evidence.processes = i.processes.slice(0, 40).map((p) => ({ pid: p.pid, name: p.name, ...(p.user ? { user: p.user } : {}), cpu_pct: p.cpu_pct, rss_bytes: p.rss_bytes, ...(p.cmdline ? { cmdline: p.cmdline } : {}) }));
  }
  if (i.metrics) alert.evidence.metrics = i.metrics;
  if (i.labels) alert.labels = i.labels;
  return alert;
}
