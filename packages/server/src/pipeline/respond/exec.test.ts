import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../shared/app-error.js';
import { formatCommand, netnsPrefix, runCommand } from './exec.js';

const node = process.execPath;

describe('exec', () => {
  test('passes arguments verbatim (no shell) and feeds stdin', async () => {
    const r = await runCommand({ file: node, args: ['-e', 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>console.log(JSON.stringify([process.argv.slice(1),d])))', '$(id)', 'a b;c', '*'], stdin: 'line1\nline2\n' });
    assert.deepEqual(JSON.parse(r.stdout), [['$(id)', 'a b;c', '*'], 'line1\nline2\n']);
  });

  test('a failing command becomes firewall.command_failed with the command and stderr', async () => {
    const err = await runCommand({ file: node, args: ['-e', 'console.error("Error: element does not exist"); process.exit(1)'] }).catch((e: unknown) => e);
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'firewall.command_failed');
    assert.match(err.message, /exit 1: Error: element does not exist/);
    assert.match(err.message, /-e/);
    assert.deepEqual((err.details as { code: number }).code, 1);
  });

  test('okCodes accepts chosen exit codes', async () => {
    const r = await runCommand({ file: node, args: ['-e', 'process.exit(3)'] }, { okCodes: [0, 3] });
    assert.equal(r.code, 3);
  });

  test('a missing program is reported, not thrown synchronously', async () => {
    await assert.rejects(runCommand({ file: 'dio-no-such-program', args: [] }), /program not found/);
  });

  test('times out and kills the program', async () => {
    const started = Date.now();
    await assert.rejects(runCommand({ file: node, args: ['-e', 'setTimeout(() => {}, 60000)'] }, { timeoutMs: 300 }), /timed out after 300 ms/);
    assert.ok(Date.now() - started < 30_000);
  });

  test('bounds stdout (fails) and stderr (cuts)', async () => {
    await assert.rejects(runCommand({ file: node, args: ['-e', 'process.stdout.write("x".repeat(100000))'] }, { maxStdoutBytes: 1000 }), /output exceeded 1000 bytes/);
    const r = await runCommand({ file: node, args: ['-e', 'process.stderr.write("y".repeat(100000))'] }, { maxStderrBytes: 100 });
    assert.equal(r.stderr.length, 100);
  });

  test('a program that ignores stdin does not crash the caller (EPIPE)', async () => {
    const r = await runCommand({ file: node, args: ['-e', 'process.exit(0)'], stdin: 'z'.repeat(4 * 1024 * 1024) });
    assert.equal(r.code, 0);
  });

  test('formatCommand quotes for display and shows stdin as a here-document', () => {
    assert.equal(formatCommand({ file: 'nft', args: ['-f', '-'], stdin: 'add table inet dio' }), "nft -f - <<'EOF'\nadd table inet dio\nEOF");
    assert.equal(formatCommand({ file: 'echo', args: ["it's", 'a b', 'plain'] }), "echo 'it'\\''s' 'a b' plain");
  });

  test('netnsPrefix validates the namespace name', () => {
    assert.deepEqual(netnsPrefix(undefined), []);
    assert.deepEqual(netnsPrefix('dio-test-1'), ['ip', 'netns', 'exec', 'dio-test-1']);
    assert.throws(() => netnsPrefix('-all'));
    assert.throws(() => netnsPrefix('a/b'));
  });
});
