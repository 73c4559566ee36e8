import { execFileSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { percentile, median, table } from './util.js';
import { rssMb, startDio } from './dio-process.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function syslogTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * Live tail latency: `dio up` tails a file we append to at `rate` lines/s (benign sshd and cron
 * lines); every 250 ms one fresh source sends a burst of 11 failed passwords (overflowing the
 * fast brute-force bucket at the 11th). Measured from the append of that burst to (a) the alert
 * reaching the live stream (it is stored first) and (b) the decision's firewall update verified.
 */
export async function benchLive(o: { rate: number; seconds: number; firewall: 'dry-run' | 'nftables' }) {
  const dio = await startDio('');
  await dio.stop();
  const log = join(dio.dir, 'auth.log');
  writeFileSync(log, '');
  // nftables runs in a namespace made for the bench, so the host's firewall is never touched.
  const ns = o.firewall === 'nftables' ? `dio-bench-${process.pid}` : undefined;
  if (ns) execFileSync('ip', ['netns', 'add', ns]);
  const fwYaml = ns ? `respond:\n  firewall: nftables\n  netns: ${ns}\n` : 'respond:\n  firewall: dry-run\n';
  const p = await startDio(`sources:\n  - type: file\n    path: ${log}\n    start_at: end\n${fwYaml}store:\n  store_events: true\n`);
  const sent = new Map<string, number>();
  const alertLat: number[] = [];
  const fwLat: number[] = [];
  const ctrl = new AbortController();
  const res = await fetch(`${p.url}/api/v1/stream`, { signal: ctrl.signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  const pump = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += value;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /event: (\w+)/.exec(frame)?.[1];
          const data = /data: (.*)/.exec(frame)?.[1];
          if (!ev || !data) continue;
          const now = performance.now();
          const obj = JSON.parse(data) as { source?: { ip?: string }; value?: string; enforcement?: { status: string } };
          if (ev === 'alert' && obj.source?.ip && sent.has(obj.source.ip)) alertLat.push(now - sent.get(obj.source.ip)!);
          if (ev === 'decision' && obj.value && obj.enforcement && ['verified', 'applied'].includes(obj.enforcement.status) && sent.has(obj.value)) fwLat.push(now - sent.get(obj.value)!);
        }
      }
    } catch {
      /* aborted */
    }
  })();

  const tickMs = 10;
  const perTick = Math.round((o.rate * tickMs) / 1000);
  const end = performance.now() + o.seconds * 1000;
  let n = 0, attacks = 0, pid = 30000;
  let nextAttack = performance.now() + 500;
  while (performance.now() < end) {
    const t = syslogTime(new Date());
    const lines: string[] = [];
    for (let i = 0; i < perTick; i++, n++) {
      const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
      lines.push(i % 4 === 0 ? `${t} bench CRON[${pid++}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)` : `${t} bench sshd[${pid++}]: Accepted publickey for u${n % 500} from ${ip} port ${1024 + (n % 60000)} ssh2: ED25519 SHA256:abc`);
    }
    if (performance.now() >= nextAttack) {
      const ip = `198.51.${100 + ((attacks >> 8) & 15)}.${attacks & 255}`;
      attacks++;
      for (let k = 0; k < 11; k++) lines.push(`${t} bench sshd[${pid}]: Failed password for root from ${ip} port ${40000 + k} ssh2`);
      appendFileSync(log, lines.join('\n') + '\n');
      sent.set(ip, performance.now());
      nextAttack += 250;
    } else appendFileSync(log, lines.join('\n') + '\n');
    const sleep = tickMs - (performance.now() % tickMs);
    await new Promise((r) => setTimeout(r, sleep));
  }
  await new Promise((r) => setTimeout(r, 1500));
  const rss = rssMb(p.child.pid!);
  ctrl.abort();
  await pump;
  await p.stop();
  let kernelEntries: number | undefined;
  if (ns) {
    const out = execFileSync('ip', ['netns', 'exec', ns, 'nft', '-j', 'list', 'set', 'inet', 'dio', 'dio_ban_v4'], { encoding: 'utf8' });
    kernelEntries = (out.match(/198\.51\./g) ?? []).length;
    execFileSync('ip', ['netns', 'del', ns]);
  }
  const r = {
    firewall: o.firewall,
    kernel_set_entries_after: kernelEntries,
    rate_lines_per_s: o.rate,
    seconds: o.seconds,
    lines_written: n,
    attacks,
    alerts_seen: alertLat.length,
    firewall_updates_seen: fwLat.length,
    alert_ms: { p50: median(alertLat), p99: percentile(alertLat, 99), max: Math.max(...alertLat) },
    alert_series_ms: alertLat.map((x) => Math.round(x)),
    firewall_series_ms: fwLat.map((x) => Math.round(x)),
    firewall_ms: { p50: median(fwLat), p99: percentile(fwLat, 99), max: Math.max(...fwLat) },
    rss_mb_after: Math.round(rss),
  };
  console.log(`\n## live tail latency (append → alert stored / ${o.firewall} firewall set updated and verified)\n`);
  console.log(table(['rate', 'attacks', 'alerts', 'alert p50 ms', 'alert p99 ms', 'fw p50 ms', 'fw p99 ms', 'RSS MB'], [[o.rate, attacks, alertLat.length, r.alert_ms.p50.toFixed(1), r.alert_ms.p99.toFixed(1), r.firewall_ms.p50.toFixed(1), r.firewall_ms.p99.toFixed(1), r.rss_mb_after]]));
  return r;
}
