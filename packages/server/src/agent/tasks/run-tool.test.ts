import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveTool, runTool, toolFailed, TOOL_PATH, type ToolRun } from './run-tool.js';

// The shell appears here only as a test subject; production runners pass argv to real tools.
const base = (args: string[], extra: Partial<ToolRun> = {}): ToolRun => ({
  tool: 'nmap',
  file: '/bin/sh',
  args,
  cwd: tmpdir(),
  signal: new AbortController().signal,
  maxOutputBytes: 1024 * 1024,
  ...extra,
});

/** Running, not merely a zombie waiting for an init that may not reap (containers). */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
}

test('captures stdout and stderr, resolves on any exit code, gives the tool a minimal environment', async () => {
  const res = await runTool(base(['-c', 'echo out; echo err >&2; env; exit 3']));
  assert.equal(res.code, 3);
  assert.equal(res.stderr, 'err\n');
  const lines = res.stdout.trim().split('\n');
  assert.equal(lines[0], 'out');
  const env = new Set(lines.slice(1).map((l) => l.split('=')[0]));
  // dash adds PWD itself; nothing of the agent's own environment leaks through.
  env.delete('PWD');
  assert.deepEqual([...env].sort(), ['LANG', 'LC_ALL', 'PATH']);
  assert.ok(lines.includes(`PATH=${TOOL_PATH}`));
});

test('stdin is closed: a tool reading it sees EOF at once', async () => {
  const res = await runTool(base([], { file: '/bin/cat' }));
  assert.deepEqual([res.code, res.stdout], [0, '']);
});

test('stdout beyond max_output_bytes kills the tool with task.output_too_large', async () => {
  await assert.rejects(runTool(base([], { file: '/usr/bin/yes', maxOutputBytes: 64 * 1024 })), { code: 'task.output_too_large' });
});

test('the task deadline becomes task.timeout, a cancel task.cancelled', async () => {
  const t0 = Date.now();
  await assert.rejects(runTool(base(['-c', 'sleep 30'], { signal: AbortSignal.timeout(100) })), { code: 'task.timeout' });
  assert.ok(Date.now() - t0 < 5000);
  const ac = new AbortController();
  const p = runTool(base(['-c', 'sleep 30'], { signal: ac.signal }));
  ac.abort();
  await assert.rejects(p, { code: 'task.cancelled' });
  await assert.rejects(runTool(base(['-c', 'true'], { signal: ac.signal })), { code: 'task.cancelled' });
});

test('a kill reaches the whole process group, with SIGKILL for a tool that ignores SIGTERM', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dio-runtool-'));
  try {
    const pidFile = join(dir, 'pid');
    const ac = new AbortController();
    const p = runTool(base(['-c', `trap '' TERM; sleep 60 & echo $! > ${pidFile}; wait`], { signal: ac.signal, killGraceMs: 200 }));
    let pid = 0;
    for (let i = 0; i < 100 && pid === 0; i++) {
      await sleep(20);
      pid = Number(await readFile(pidFile, 'utf8').catch(() => '0')) || 0;
    }
    assert.ok(pid > 0, 'the grandchild started');
    ac.abort();
    await assert.rejects(p, { code: 'task.cancelled' });
    for (let i = 0; i < 50 && (await alive(pid)); i++) await sleep(20);
    assert.equal(await alive(pid), false, 'the grandchild was killed too');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a missing tool is task.tool_missing naming the package to install', async () => {
  await assert.rejects(resolveTool('clamscan', '/nonexistent/clamscan'), (e: Error & { code: string }) => {
    assert.equal(e.code, 'task.tool_missing');
    assert.match(e.message, /clamscan is not installed on this host \(apt install clamav\).*tasks\.tools\.clamscan/);
    return true;
  });
  await assert.rejects(resolveTool('lynis', 'relative/lynis'), { code: 'task.tool_missing' });
  await assert.rejects(runTool(base([], { file: '/nonexistent/nmap' })), { code: 'task.tool_missing', message: /nmap is not installed/ });
  assert.equal(await resolveTool('nmap', '/bin/sh'), '/bin/sh');
});

test('toolFailed carries the tail of stderr', () => {
  const e = toolFailed('yara', { code: 2, signal: null, stdout: '', stderr: `${'x'.repeat(5000)}the real reason\n` });
  assert.equal(e.code, 'task.failed');
  assert.match(e.message, /^yara exited with code 2: …x+the real reason$/);
  assert.ok(e.message.length < 1600);
});
