import type { Alert, AlertFilter, Decision, DecisionFilter, DioEvent } from '@dio/protocol';
import { AppError } from '../../shared/app-error.js';
import type { AuditInput, AuditRecord, DecisionPatch, EventQuery, Page, SourceOffset, Store, StoredEvent, StoreStats } from '../../storage/port.js';

/**
 * Just enough of a Store for API tests while the SQLite adapter is being written: newest-first
 * listings with opaque offset cursors, idempotent batches. Not a reference implementation.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly events: StoredEvent[] = [];
  readonly alerts = new Map<string, Alert>();
  readonly decisions = new Map<string, Decision>();
  readonly audit: AuditRecord[] = [];
  private readonly batches = new Set<string>();
  private readonly offsets = new Map<string, SourceOffset>();

  async migrate(): Promise<void> {}
  async close(): Promise<void> {}

  async insertEvents(events: readonly DioEvent[], opts: { batchId?: string } = {}): Promise<{ inserted: number; duplicate: boolean }> {
    if (opts.batchId !== undefined) {
      if (this.batches.has(opts.batchId)) return { inserted: 0, duplicate: true };
      this.batches.add(opts.batchId);
    }
    for (const event of events) this.events.push({ id: this.events.length + 1, ts: Date.parse(event['@timestamp']), event });
    return { inserted: events.length, duplicate: false };
  }

  async queryEvents(q: EventQuery): Promise<Page<StoredEvent>> {
    return paginate(this.events.filter((e) => (q.source_ip === undefined || e.event.source?.ip === q.source_ip)).reverse(), q.limit, q.cursor);
  }

  async purgeEvents(): Promise<number> {
    return 0;
  }

  async insertAlert(alert: Alert): Promise<void> {
    this.alerts.set(alert.id, alert);
  }
  async getAlert(id: string): Promise<Alert | undefined> {
    return this.alerts.get(id);
  }
  async listAlerts(f: AlertFilter): Promise<Page<Alert>> {
    const items = [...this.alerts.values()]
      .filter(
        (a) =>
          (f.severity === undefined || a.severity === f.severity) &&
          (f.scenario === undefined || a.scenario === f.scenario) &&
          (f.status === undefined || a.status === f.status) &&
          (f.source_ip === undefined || a.source.ip === f.source_ip) &&
          (f.technique === undefined || a.technique.id === f.technique) &&
          (f.since === undefined || a.created_at >= f.since) &&
          (f.until === undefined || a.created_at < f.until),
      )
      .sort(newestFirst);
    return paginate(items, f.limit, f.cursor);
  }
  async setAlertStatus(id: string, status: Alert['status']): Promise<Alert | undefined> {
    const a = this.alerts.get(id);
    if (!a) return undefined;
    const next = { ...a, status };
    this.alerts.set(id, next);
    return next;
  }

  async insertDecision(d: Decision): Promise<void> {
    this.decisions.set(d.id, d);
  }
  async getDecision(id: string): Promise<Decision | undefined> {
    return this.decisions.get(id);
  }
  async listDecisions(f: DecisionFilter): Promise<Page<Decision>> {
    const items = [...this.decisions.values()]
      .filter((d) => (f.status === undefined || d.status === f.status) && (f.origin === undefined || d.origin === f.origin) && (f.value === undefined || d.value === f.value))
      .sort(newestFirst);
    return paginate(items, f.limit, f.cursor);
  }
  async activeDecisions(now: number): Promise<Decision[]> {
    return [...this.decisions.values()].filter((d) => d.status === 'active' && Date.parse(d.expires_at) > now);
  }
  async updateDecision(id: string, patch: DecisionPatch): Promise<Decision | undefined> {
    const d = this.decisions.get(id);
    if (!d) return undefined;
    const next = { ...d, ...patch };
    this.decisions.set(id, next);
    return next;
  }
  async expireDecisions(): Promise<Decision[]> {
    return [];
  }
  async countDecisionsFor(value: string): Promise<number> {
    return [...this.decisions.values()].filter((d) => d.value === value).length;
  }

  async appendAudit(input: AuditInput): Promise<AuditRecord> {
    const rec: AuditRecord = { ...input, seq: this.audit.length + 1, at: new Date().toISOString(), prev_hash: '', hash: '' };
    this.audit.push(rec);
    return rec;
  }
  async listAudit(q: { limit: number }): Promise<AuditRecord[]> {
    return this.audit.slice(0, q.limit);
  }

  async getOffset(source: string): Promise<SourceOffset | undefined> {
    return this.offsets.get(source);
  }
  async saveOffset(offset: SourceOffset): Promise<void> {
    this.offsets.set(offset.source, offset);
  }

  async stats(): Promise<StoreStats> {
    const decisions = [...this.decisions.values()];
    return {
      events: this.events.length,
      alerts: this.alerts.size,
      decisions: decisions.length,
      active_decisions: decisions.filter((d) => d.status === 'active').length,
      audit_records: this.audit.length,
      bytes: null,
    };
  }
}

function newestFirst(a: { created_at: string; id: string }, b: { created_at: string; id: string }): number {
  return a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function paginate<T>(items: T[], limit: number, cursor: string | undefined): Page<T> {
  let start = 0;
  if (cursor !== undefined) {
    start = Number(Buffer.from(cursor, 'base64url').toString());
    if (!Number.isInteger(start) || start < 0) throw new AppError('store.invalid_cursor', 'cursor is not valid', { status: 400 });
  }
  const page = items.slice(start, start + limit);
  const next = start + limit < items.length ? Buffer.from(String(start + limit)).toString('base64url') : null;
  return { items: page, next_cursor: next };
}
