import { statSync } from 'node:fs';
import type { Alert, Decision } from '@dio/protocol';
import { SingleBar } from 'cli-progress';
import type { LoadedConfig } from '../config/load-config.js';
import { createLogger } from '../shared/logger.js';
import { createMetrics } from '../shared/metrics.js';
import { systemClock } from '../shared/clock.js';
import { AppError, errorMessage } from '../shared/app-error.js';
import { createReplaySource } from '../pipeline/acquire/replay-source.js';
import { createStdinSource } from '../pipeline/acquire/stdin-source.js';
import { createEngine } from './engine.js';
import { renderTable, type OutputFormat } from './output.js';

export interface ReplayOptions {
  file: string;
  type: string;
  output: OutputFormat;
  progress: boolean;
}

export interface ReplaySummary {
  kind: 'summary';
  file: string;
  lines: number;
  parsed: number;
  unparsed: number;
  alerts: number;
  decisions: number;
  seconds: number;
  lines_per_s: number;
  dropped: Record<string, number>;
  error?: string;
}

/**
 * `dio replay FILE`: the whole file through the same pipeline as live (parse → enrich → detect →
 * decide), with an in-memory store and no firewall. Decision TTLs count from now, as live.
 * Returns the process exit code.
 */
export async function runReplay(loaded: LoadedConfig, o: ReplayOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const logger = createLogger({ level: loaded.config.log_level === 'info' ? 'warn' : loaded.config.log_level });
  let size = 0;
  let mtime = Date.now();
  const fromStdin = o.file === '-';
  if (!fromStdin) {
    try {
      const st = statSync(o.file);
      size = st.size;
      // A log's last write is about its last line: BSD syslog years are inferred against it.
      mtime = st.mtimeMs;
    } catch (e) {
      throw new AppError('replay.unreadable', `cannot read ${o.file}: ${errorMessage(e)}`, { status: 400 });
    }
  }
  const alerts: Alert[] = [];
  const decisions: Decision[] = [];
  const json = o.output === 'json';
  const write = (obj: object) => out.write(`${JSON.stringify(obj)}\n`);
  const engine = await createEngine({
    config: loaded.config,
    logger,
    metrics: createMetrics(),
    clock: systemClock,
    storePath: ':memory:',
    respond: false,
    referenceTime: () => mtime,
    onAlert: (a) => { alerts.push(a); if (json) write({ kind: 'alert', ...a }); },
    onDecision: (d) => { decisions.push(d); if (json) write({ kind: 'decision', ...d }); },
  });
  const started = process.hrtime.bigint();
  const maxLineBytes = loaded.config.limits.max_line_bytes;
  const source = fromStdin ? createStdinSource({ maxLineBytes, logger }) : createReplaySource({ path: o.file, maxLineBytes, logger });
  const bar = o.progress && !fromStdin ? new SingleBar({ format: 'replay |{bar}| {percentage}% {value}/{total} MB  {lines} lines  {alerts} alerts', hideCursor: true, stream: process.stderr }) : undefined;
  bar?.start(Math.max(1, Math.round(size / 1e6)), 0, { lines: 0, alerts: 0 });
  let lines = 0, parsed = 0, unparsed = 0;
  let error: string | undefined;
  try {
    await source.start(async (batch) => {
      const r = engine.pipeline.processBatch(batch, o.type);
      lines += r.lines;
      parsed += r.parsed;
      unparsed += r.unparsed;
      const found = engine.takeAlerts();
      if (found.length) await engine.alerts.submit(found);
      if (bar) bar.update(Math.round(Math.min(size, source.status().bytesRead) / 1e6), { lines, alerts: engine.detector.stats().alerts });
    });
  } catch (e) {
    error = errorMessage(e);
  }
  await engine.alerts.drain();
  bar?.stop();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const summary: ReplaySummary = {
    kind: 'summary',
    file: o.file,
    lines,
    parsed,
    unparsed,
    alerts: alerts.length,
    decisions: decisions.length,
    seconds: Math.round(seconds * 1000) / 1000,
    lines_per_s: Math.round(lines / Math.max(seconds, 1e-9)),
    dropped: source.status().dropped,
    ...(error ? { error } : {}),
  };
  if (json) write(summary);
  else printTables(out, alerts, decisions, summary);
  await engine.close();
  if (error) {
    process.stderr.write(`dio replay: ${error}\n`);
    return 1;
  }
  return 0;
}

function printTables(out: NodeJS.WritableStream, alerts: Alert[], decisions: Decision[], s: ReplaySummary): void {
  if (alerts.length) {
    out.write(`${renderTable(['time', 'scenario', 'severity', 'source', 'country', 'technique', 'events'], alerts.map((a) => [a.evidence.last_seen.slice(0, 19), a.scenario, a.severity, a.source.ip, a.source.country_iso_code ?? a.source.class, a.technique.id, a.evidence.count]))}\n\n`);
  }
  if (decisions.length) {
    out.write(`${renderTable(['decision', 'value', 'duration', 'scenario', 'offense'], decisions.map((d) => [d.simulated ? 'ban (simulated)' : 'ban', d.value, `${d.duration_s / 3600}h`, d.scenario, d.offense]))}\n\n`);
  }
  const dropped = Object.entries(s.dropped).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
  out.write(`${s.lines} lines (${s.parsed} parsed, ${s.unparsed} unparsed${dropped ? `, dropped: ${dropped}` : ''}) → ${s.alerts} alerts, ${s.decisions} decisions in ${s.seconds}s (${s.lines_per_s} lines/s)\n`);
}
