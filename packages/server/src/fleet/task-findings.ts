import { TASK_RESULTS, type Finding, type FINDING_KINDS, type TaskResult, type TaskType } from '@dio/protocol';
import { AppError } from '../shared/app-error.js';

/**
 * Task results → findings, the rows analysts list, filter and alert on. A result is one
 * task's raw output; findings are what is worth a look: open ports and identified services,
 * lynis warnings and suggestions, malware and YARA hits. Inventory becomes a few summaries, not
 * one row per package. Each task yields at most MAX_FINDINGS_PER_TASK findings, the most severe
 * kept, and a final `omitted` finding says how many more there were.
 */
export const MAX_FINDINGS_PER_TASK = 1000;

type Kind = (typeof FINDING_KINDS)[number];
type Severity = Finding['severity'];
type Draft = { kind: Kind; severity: Severity; title: string; data: Record<string, unknown> };

const RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };
/** Lists inside a summary finding stay short; the full list is in the task result. */
const SAMPLE = 50;

const title = (s: string): string => (s.length <= 512 ? s : `${s.slice(0, 511)}…`);
const defined = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

function fromNmap(r: TaskResult<'nmap'>): Draft[] {
  const out: Draft[] = [];
  for (const h of r.hosts) {
    for (const p of h.ports) {
      if (p.state !== 'open') continue;
      const what = [p.service, p.product, p.version].filter((s) => s !== undefined && s !== '').join(' ');
      out.push({
        // Identified software (-sV found a product) is a service; a bare open port is just that.
        kind: p.product !== undefined ? 'service' : 'open_port',
        severity: 'info',
        title: title(`${h.address}:${p.port}/${p.protocol} open${what ? ` (${what})` : ''}`),
        data: defined({ host: h.address, hostnames: h.hostnames.length > 0 ? h.hostnames : undefined, port: p.port, protocol: p.protocol, service: p.service, product: p.product, version: p.version }),
      });
    }
  }
  return out;
}

function fromPortscan(r: TaskResult<'portscan'>): Draft[] {
  return r.open.map((o) => ({ kind: 'open_port', severity: 'info', title: `${o.host}:${o.port}/tcp open`, data: { host: o.host, port: o.port, protocol: 'tcp' } }));
}

/** Below 40 the host is poorly hardened (medium), below 60 it has clear gaps (low). */
function hardeningSeverity(index: number): Severity {
  return index < 40 ? 'medium' : index < 60 ? 'low' : 'info';
}

function fromLynis(r: TaskResult<'lynis'>): Draft[] {
  const item = (kind: 'warning' | 'suggestion', severity: Severity) => (i: TaskResult<'lynis'>['warnings'][number]): Draft => ({
    kind,
    severity,
    title: title(`Lynis ${i.id}: ${i.text}`),
    data: defined({ test_id: i.id, text: i.text, detail: i.detail, solution: i.solution }),
  });
  const out = [...r.warnings.map(item('warning', 'medium')), ...r.suggestions.map(item('suggestion', 'low'))];
  if (r.hardening_index !== null) {
    out.push({
      kind: 'hardening_index',
      severity: hardeningSeverity(r.hardening_index),
      title: `Lynis hardening index ${r.hardening_index}/100`,
      data: defined({ hardening_index: r.hardening_index, tests_performed: r.tests_performed, lynis_version: r.lynis_version, warnings: r.warnings.length, suggestions: r.suggestions.length }),
    });
  }
  return out;
}

function fromYara(r: TaskResult<'yara'>): Draft[] {
  return r.matches.map((m) => ({ kind: 'yara_match', severity: 'high', title: title(`YARA rule ${m.rule} matched ${m.path}`), data: defined({ rule: m.rule, path: m.path, tags: m.tags }) }));
}

function fromClamav(r: TaskResult<'clamav'>): Draft[] {
  return r.infected.map((i) => ({ kind: 'malware', severity: 'high', title: title(`ClamAV found ${i.signature} in ${i.path}`), data: { signature: i.signature, path: i.path } }));
}

const LOOPBACK = /^(127\.|::1$)/;

function fromInventory(r: TaskResult<'inventory'>): Draft[] {
  const notes = (part: string): string[] | undefined => {
    const n = r.notes?.filter((x) => x.startsWith(`${part}:`));
    return n !== undefined && n.length > 0 ? n : undefined;
  };
  const out: Draft[] = [];
  if (r.packages !== undefined) {
    out.push({ kind: 'package', severity: 'info', title: `${r.packages.length} installed packages`, data: defined({ count: r.packages.length, notes: notes('packages') }) });
  }
  if (r.services !== undefined) {
    const enabled = r.services.filter((s) => s.enabled).map((s) => s.name);
    out.push({
      kind: 'service',
      severity: 'info',
      title: `${r.services.length} systemd services, ${enabled.length} enabled`,
      data: defined({ count: r.services.length, enabled: enabled.length, enabled_sample: enabled.slice(0, SAMPLE), notes: notes('services') }),
    });
  }
  if (r.users !== undefined) {
    const login = r.users.filter((u) => u.login);
    const root = r.users.filter((u) => u.uid === 0).map((u) => u.name);
    out.push({
      kind: 'user',
      severity: 'info',
      title: `${r.users.length} accounts, ${login.length} with a login shell`,
      data: defined({ count: r.users.length, login: login.length, login_users: login.slice(0, SAMPLE).map((u) => u.name), uid0: root, notes: notes('users') }),
    });
    // A second uid-0 account is a classic backdoor; it deserves its own row.
    for (const name of root.filter((n) => n !== 'root')) out.push({ kind: 'user', severity: 'medium', title: title(`account ${name} has uid 0 (root privileges)`), data: { name, uid: 0 } });
  }
  if (r.sockets !== undefined) {
    const exposed = r.sockets.filter((s) => !LOOPBACK.test(s.address));
    out.push({
      kind: 'listening_socket',
      severity: 'info',
      title: `${r.sockets.length} listening sockets, ${exposed.length} not on loopback`,
      data: defined({ count: r.sockets.length, exposed: exposed.length, notes: notes('sockets') }),
    });
    for (const s of exposed) {
      const who = s.process !== undefined ? ` (${s.process}${s.pid !== undefined ? ` pid ${s.pid}` : ''})` : '';
      out.push({ kind: 'listening_socket', severity: 'info', title: title(`listening on ${s.protocol} ${s.address}:${s.port}${who}`), data: defined({ ...s }) });
    }
  }
  return out;
}

const BUILDERS: { [T in TaskType]: (r: TaskResult<T>) => Draft[] } = {
  nmap: fromNmap,
  portscan: fromPortscan,
  lynis: fromLynis,
  yara: fromYara,
  clamav: fromClamav,
  inventory: fromInventory,
};

/**
 * Findings for one finished task, most severe first, at most MAX_FINDINGS_PER_TASK (the last
 * one an `omitted` summary when some were dropped). `result` is checked against the type's
 * schema again, since a finding outlives the request that carried it.
 * @throws AppError task.invalid_result (422) when the result does not match its schema.
 */
export function findingsFromResult(task: { id: string; agent_id: string; type: TaskType }, result: unknown, now: number, newId: () => string): Finding[] {
  const parsed = TASK_RESULTS[task.type].safeParse(result);
  if (!parsed.success) {
    throw new AppError('task.invalid_result', `not a valid ${task.type} result: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { status: 422 });
  }
  const drafts = (BUILDERS[task.type] as (r: unknown) => Draft[])(parsed.data);
  // Stable sort: within one severity, the tool's own order is kept.
  drafts.sort((a, b) => RANK[b.severity] - RANK[a.severity]);
  let kept = drafts;
  if (drafts.length > MAX_FINDINGS_PER_TASK) {
    kept = drafts.slice(0, MAX_FINDINGS_PER_TASK - 1);
    const rest = drafts.slice(MAX_FINDINGS_PER_TASK - 1);
    const byKind: Record<string, number> = {};
    for (const d of rest) byKind[d.kind] = (byKind[d.kind] ?? 0) + 1;
    kept.push({
      kind: 'omitted',
      // As severe as the worst one dropped, so the summary is not filtered away with the noise.
      severity: rest[0]!.severity,
      title: `${rest.length} more findings from this task were omitted (at most ${MAX_FINDINGS_PER_TASK} are kept per task; see the task result)`,
      data: { omitted: rest.length, by_kind: byKind },
    });
  }
  const created_at = new Date(now).toISOString();
  return kept.map((d) => ({ id: newId(), agent_id: task.agent_id, task_id: task.id, created_at, ...d }));
}
