import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressesOf, checkPaths, checkTargets } from './scope.js';

test('targets must lie inside scan_targets; the error names the target and the allowed CIDRs', () => {
  const allowed = ['10.0.0.0/8', '2001:db8::/32'];
  assert.deepEqual(
    checkTargets(['10.1.2.0/24', '10.1.2.3', '2001:DB8::1', '10.1.2.3'], allowed).map((t) => [t.text, t.count]),
    [['10.1.2.0/24', 256], ['10.1.2.3', 1], ['2001:db8::1', 1]],
  );
  assert.throws(() => checkTargets(['192.168.1.1'], allowed), (e: Error & { code: string; status: number }) => {
    assert.equal(e.code, 'task.target_not_allowed');
    assert.equal(e.status, 403);
    assert.match(e.message, /192\.168\.1\.1 .*allowed: 10\.0\.0\.0\/8, 2001:db8::\/32/);
    return true;
  });
  // A range that only overlaps the allowlist is not inside it.
  assert.throws(() => checkTargets(['10.0.0.0/7'], allowed), { code: 'task.target_not_allowed' });
  assert.throws(() => checkTargets(['127.0.0.1'], []), { code: 'task.target_not_allowed', message: /tasks\.scan_targets is empty/ });
});

test('v4-mapped spellings and a v6 allowlist covering ::ffff:0:0/96 follow the shared address model', () => {
  assert.deepEqual(checkTargets(['::ffff:127.0.0.1'], ['127.0.0.0/8']).map((t) => t.text), ['127.0.0.1']);
  assert.deepEqual(checkTargets(['127.0.0.1'], ['::/0']).map((t) => t.text), ['127.0.0.1']);
});

test('more than 4096 addresses in all is refused', () => {
  assert.equal(checkTargets(['10.0.0.0/20'], ['10.0.0.0/8'])[0]!.count, 4096);
  assert.throws(() => checkTargets(['10.0.0.0/20', '10.1.0.1'], ['10.0.0.0/8']), { code: 'task.invalid_params', message: /4096/ });
  assert.throws(() => checkTargets(['2001:db8::/64'], ['2001:db8::/32']), { code: 'task.invalid_params' });
});

test('addressesOf expands both families in order', () => {
  const t = checkTargets(['192.0.2.254/31', '2001:db8::fffe/127'], ['0.0.0.0/0', '::/0']);
  assert.deepEqual([...addressesOf(t)], ['192.0.2.254', '192.0.2.255', '2001:db8::fffe', '2001:db8::ffff']);
});

test('paths are normalised, resolved with realpath and must stay under scan_paths', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dio-scope-'));
  try {
    const root = join(dir, 'root');
    const outside = join(dir, 'outside');
    await mkdir(join(root, 'sub'), { recursive: true });
    await mkdir(outside);
    await writeFile(join(outside, 'secret'), 'x');
    await symlink(join(outside, 'secret'), join(root, 'escape'));
    await symlink(join(root, 'sub'), join(root, 'inner'));

    assert.deepEqual(await checkPaths([`${root}/sub/`, `${root}//sub`, `${root}/inner`, root], [root]), [join(root, 'sub'), root]);
    await assert.rejects(checkPaths([join(root, 'escape')], [root]), (e: Error & { code: string }) => {
      assert.equal(e.code, 'task.path_not_allowed');
      assert.ok(e.message.includes(`resolves to ${join(outside, 'secret')}`));
      return true;
    });
    await assert.rejects(checkPaths([outside], [root]), { code: 'task.path_not_allowed' });
    // A sibling sharing the root's prefix is not under it.
    await mkdir(`${root}2`);
    await assert.rejects(checkPaths([`${root}2`], [root]), { code: 'task.path_not_allowed' });
    await assert.rejects(checkPaths([join(root, 'missing')], [root]), { code: 'task.invalid_params', message: /does not exist/ });
    await assert.rejects(checkPaths(['-r'], [root]), { code: 'task.invalid_params' });
    await assert.rejects(checkPaths([`${root}/../outside`], [root]), { code: 'task.invalid_params' });
    await assert.rejects(checkPaths([root], []), { code: 'task.path_not_allowed' });
    // A root that does not exist on this host simply allows nothing.
    await assert.rejects(checkPaths([root], [join(dir, 'nope')]), { code: 'task.path_not_allowed' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
