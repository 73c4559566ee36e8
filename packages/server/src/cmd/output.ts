import pc from 'picocolors';

export type OutputFormat = 'table' | 'json';

/** Renders rows as an aligned text table (columns sized to content, long cells cut). */
export function renderTable(headers: string[], rows: Array<Array<string | number | undefined>>, maxCell = 60): string {
  const cells = rows.map((r) => r.map((c) => { const s = c === undefined ? '' : String(c); return s.length > maxCell ? `${s.slice(0, maxCell - 1)}…` : s; }));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [pc.bold(line(headers)), ...cells.map(line)].join('\n');
}

export function parseOutputFormat(v: string): OutputFormat {
  if (v === 'table' || v === 'json') return v;
  throw new Error(`unknown output format "${v}" (use table or json)`);
}

/** Human duration for TTLs: 3h59m, 6d23h, 45s. */
export function humanDuration(ms: number): string {
  if (ms <= 0) return 'expired';
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d${h}h`;
  if (h) return `${h}h${m}m`;
  if (m) return `${m}m${s % 60}s`;
  return `${s}s`;
}
