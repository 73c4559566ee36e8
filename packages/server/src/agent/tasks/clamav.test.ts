import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClamavResultSchema } from '@dio/protocol';
import { clamscanArgs, parseClamscanOutput, runClamav } from './clamav.js';
import { skipUnlessTool, testRunnerContext } from './task-context.test-util.js';

/** The EICAR test file, assembled at run time so the repository itself carries no copy of it. */
function eicar(): string {
  const parts = ['X5O!P%@AP[4\\PZX54(P^)7CC)7}', '$EICAR-STANDARD-', 'ANTIVIRUS-TEST-', 'FILE!$H+H*'];
  return parts.join('');
}

const SUMMARY = `
----------- SCAN SUMMARY -----------
Known viruses: 8698541
Engine version: 1.4.6
Scanned directories: 3
Scanned files: 12
Infected files: 2
Total errors: 1
Data scanned: 0.01 MB
`;

test('parses PATH: SIGNATURE FOUND lines and the summary', () => {
  const r = parseClamscanOutput(`/srv/up/a: b.exe: Win.Test.EICAR_HDB-1 FOUND\n/tmp/x.zip: Eicar-Signature FOUND\n${SUMMARY}`, 'WARNING: /srv/gone: Can\'t access file\n');
  assert.equal(ClamavResultSchema.safeParse(r).success, true);
  assert.deepEqual(r, {
    infected: [
      { path: '/srv/up/a: b.exe', signature: 'Win.Test.EICAR_HDB-1' },
      { path: '/tmp/x.zip', signature: 'Eicar-Signature' },
    ],
    scanned_files: 12,
    engine_version: '1.4.6',
    warnings: ["WARNING: /srv/gone: Can't access file", 'clamscan could not scan 1 file(s) (unreadable or over its size limits)'],
  });
});

test('argv: only infected files, no symlink following, temp files in the task dir', () => {
  assert.deepEqual(clamscanArgs(['/srv', '/tmp/x'], { recursive: true, db: '/opt/db', tempDir: '/w' }), [
    '-i', '-r', '--follow-dir-symlinks=0', '--follow-file-symlinks=0', '--tempdir=/w', '-d', '/opt/db', '/srv', '/tmp/x',
  ]);
  assert.deepEqual(clamscanArgs(['/srv'], { recursive: false, tempDir: '/w' }), ['-i', '--follow-dir-symlinks=0', '--follow-file-symlinks=0', '--tempdir=/w', '/srv']);
});

test('real clamscan detects the EICAR test file with a one-line .hdb database', { skip: await skipUnlessTool('clamscan') }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dio-clamav-'));
  try {
    const body = eicar();
    assert.equal(createHash('md5').update(body).digest('hex'), '44d88612fea8a8f36de82e1278abb02f', 'the real EICAR file');
    const db = join(dir, 'db');
    const scan = join(dir, 'scan');
    await mkdir(db);
    await mkdir(join(scan, 'sub'), { recursive: true });
    await mkdir(join(dir, 'outside'));
    // .hdb: md5:size:name — clamscan 1.x loads it as an unofficial database.
    await writeFile(join(db, 'test.hdb'), `${createHash('md5').update(body).digest('hex')}:${body.length}:Eicar-Test-Signature\n`);
    await writeFile(join(scan, 'sub', 'eicar.com'), body);
    await writeFile(join(scan, 'clean.txt'), 'nothing to see\n');
    await writeFile(join(dir, 'outside', 'eicar.com'), body);
    await symlink(join(dir, 'outside'), join(scan, 'link'));

    const ctx = await testRunnerContext({ scan_paths: [scan], clamav_db: db });
    try {
      const r = await runClamav({ paths: [scan], recursive: true }, ctx);
      assert.equal(ClamavResultSchema.safeParse(r).success, true);
      assert.deepEqual(r.infected, [{ path: join(scan, 'sub', 'eicar.com'), signature: 'Eicar-Test-Signature.UNOFFICIAL' }]);
      assert.equal(r.scanned_files, 2, 'the symlinked directory was not followed');
      assert.match(r.engine_version ?? '', /^\d+\.\d+/);
      await assert.rejects(runClamav({ paths: [join(dir, 'outside')], recursive: true }, ctx), { code: 'task.path_not_allowed' });
    } finally {
      await ctx.cleanup();
    }

    const empty = join(dir, 'empty-db');
    await mkdir(empty);
    const noDb = await testRunnerContext({ scan_paths: [scan], clamav_db: empty });
    try {
      await assert.rejects(runClamav({ paths: [scan], recursive: true }, noDb), (e: Error & { code: string }) => {
        assert.equal(e.code, 'task.failed');
        assert.match(e.message, /^ClamAV has no virus database: run freshclam or set tasks\.clamav_db/);
        return true;
      });
    } finally {
      await noDb.cleanup();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
