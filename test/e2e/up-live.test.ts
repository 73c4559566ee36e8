import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bruteForce, freePort, run, startUp, tmp, waitFor } from './helpers.js';

interface Decision { id: string; value: string; status: string; enforcement: { status: string }; expires_at: string }

/** Requests carry the local CLI key `dio up` writes into its data directory. */
let key = '';
async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const r = await fetch(url, { ...init, headers: { authorization: `Bearer ${key}`, ...init.headers } });
  return (await r.json()) as T;
}

test('dio up: a tailed attack becomes an alert, a verified dry-run ban, visible live, in the API and the CLI; restart resumes', async () => {
  const dir = tmp();
  const log = join(dir, 'auth.log');
  writeFileSync(log, bruteForce('198.51.100.99', 30)); // already there before start: start_at end skips it
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  writeFileSync(join(dir, 'dio.yaml'), `data_dir: ${join(dir, 'data')}\napi:\n  listen: 127.0.0.1:${port}\nsources:\n  - type: file\n    path: ${log}\n`);
  let up = startUp([], dir);
  try {
    await waitFor('health', async () => ((await fetch(`${url}/api/v1/health`)).ok ? true : undefined));
    key = readFileSync(join(dir, 'data', 'cli.key'), 'utf8').trim();
    assert.equal((await fetch(`${url}/api/v1/alerts`)).status, 401, 'the API needs authentication');
    assert.match(up.stderr(), /created the admin user "admin" with the password/);
    // Live stream: the alert must arrive without polling.
    const ctrl = new AbortController();
    const stream = await fetch(`${url}/api/v1/stream?access_token=${key}`, { signal: ctrl.signal });
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = '';
    const sawAlert = (async () => {
      while (!seen.includes('event: alert')) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += value;
      }
    })();

    appendFileSync(log, bruteForce('203.0.113.45', 12));
    const d = await waitFor('verified decision', async () => {
      const page = await json<{ items: Decision[] }>(`${url}/api/v1/decisions?value=203.0.113.45`);
      return page.items.find((x) => x.enforcement.status === 'verified');
    });
    assert.equal(d.status, 'active');
    await sawAlert;
    ctrl.abort();
    assert.match(seen, /event: alert\n.*"scenario":"ssh-bruteforce"/s);
    assert.ok(!(await json<{ items: Decision[] }>(`${url}/api/v1/decisions?value=198.51.100.99`)).items.length, 'lines before start were not read');

    const list = await run(['decisions', 'list', '--server', url, '-o', 'json'], { cwd: dir });
    assert.equal(list.code, 0, list.stderr);
    assert.ok(list.stdout.includes('"value":"203.0.113.45"'));
    const alerts = await run(['alerts', 'list', '--server', url], { cwd: dir });
    assert.match(alerts.stdout, /ssh-bruteforce\s+high\s+203\.0\.113\.45\s+T1110\.001/);

    const stranger = await run(['alerts', 'list', '--server', url]);
    assert.equal(stranger.code, 2, 'elsewhere, without credentials');
    assert.match(stranger.stderr, /not logged in to http:\/\/127\.0\.0\.1:\d+: run `dio login/);
    const refused = await run(['decisions', 'add', '127.0.0.1', '--server', url], { cwd: dir });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /allowlist/);
    const manual = await run(['decisions', 'add', '192.0.2.0/24', '-d', '30m', '--server', url, '-o', 'json'], { cwd: dir });
    assert.equal(manual.code, 0, manual.stderr);
    const del = await run(['decisions', 'delete', d.id, '--server', url], { cwd: dir });
    assert.equal(del.code, 0, del.stderr);
    assert.equal((await json<Decision>(`${url}/api/v1/decisions/${d.id}`, { method: 'DELETE' })).status, 'deleted');

    assert.equal(await up.stop(), 0, 'clean shutdown');

    // While stopped: a new attacker. After restart only the new lines are read.
    appendFileSync(log, bruteForce('203.0.113.46', 12));
    up = startUp([], dir);
    await waitFor('decision after restart', async () => {
      const page = await json<{ items: Decision[] }>(`${url}/api/v1/decisions?value=203.0.113.46`);
      return page.items[0];
    });
    const metrics = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${key}` } })).text();
    const read = Number(/dio_lines_read_total\{source="file:[^"]+"\} (\d+)/.exec(metrics)?.[1]);
    assert.equal(read, 12, 'exactly the lines appended while stopped');
    const manualStill = await json<{ items: Decision[] }>(`${url}/api/v1/decisions?value=192.0.2.0/24`);
    assert.equal(manualStill.items[0]?.status, 'active', 'decisions survive a restart');
  } finally {
    await up.stop();
  }
});

test('dio up refuses a non-loopback listen address without --allow-remote', async () => {
  const dir = tmp();
  const r = await run(['up', '--listen', '0.0.0.0:0', '--data-dir', join(dir, 'data')], { cwd: dir });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0:0/);
});
