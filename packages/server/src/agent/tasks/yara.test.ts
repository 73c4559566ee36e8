import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { YaraResultSchema } from '@dio/protocol';
import { parseYaraOutput, runYara, yaraArgs } from './yara.js';
import { skipUnlessTool, testRunnerContext } from './task-context.test-util.js';

const RULES = `
rule Webshell : webshell php {
  strings: $a = "eval(base64_decode("
  condition: $a
}
rule Miner {
  strings: $b = "stratum+tcp://"
  condition: $b
}
`;

test('parses RULE [tags] PATH lines; other lines are skipped; stderr becomes warnings', () => {
  const r = parseYaraOutput('Webshell [webshell,php] /srv/a b.php\nMiner [] /tmp/x\nsomething else\n', 'error scanning /tmp/y: could not open file\nwarning: rule "W" in /w/rules.yar(3): slow\n', '/w/rules.yar');
  assert.deepEqual(r, {
    matches: [{ rule: 'Webshell', path: '/srv/a b.php', tags: ['webshell', 'php'] }, { rule: 'Miner', path: '/tmp/x' }],
    warnings: ['error scanning /tmp/y: could not open file', 'warning: rule "W" in rules(3): slow'],
  });
  const many = Array.from({ length: 10_005 }, (_, i) => `R [] /f${i}`).join('\n');
  const cut = parseYaraOutput(many, '', '/r');
  assert.equal(cut.matches.length, 10_000);
  assert.match(cut.warnings!.at(-1)!, /^5 more matches were dropped/);
});

test('argv: recursive, tags, no symlink following, a scan list', () => {
  assert.deepEqual(yaraArgs('/w/rules.yar', '/w/paths.txt', true), ['-r', '-g', '-N', '--scan-list', 'dio:/w/rules.yar', '/w/paths.txt']);
  assert.equal(yaraArgs('/r', '/l', false).includes('-r'), false);
});

test('include directives are refused', async () => {
  const ctx = await testRunnerContext();
  try {
    await assert.rejects(runYara({ rules: 'include "/etc/shadow"\nrule A { condition: true }', paths: ['/tmp'], recursive: true }, ctx), { code: 'task.invalid_params', message: /include/ });
  } finally {
    await ctx.cleanup();
  }
});

test('real yara scan: matches with tags, recursion, symlinks out of the tree not followed', { skip: await skipUnlessTool('yara') }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dio-yara-'));
  const ctx = await testRunnerContext({ scan_paths: [join(dir, 'www'), join(dir, 'tmp')] });
  try {
    await mkdir(join(dir, 'www', 'up'), { recursive: true });
    await mkdir(join(dir, 'tmp'));
    await mkdir(join(dir, 'outside'));
    await writeFile(join(dir, 'www', 'up', 'shell.php'), '<?php eval(base64_decode("ZWNobyAxOw==")); ?>');
    await writeFile(join(dir, 'www', 'index.html'), '<h1>hello</h1>');
    await writeFile(join(dir, 'tmp', 'xmr'), 'pool=stratum+tcp://pool.example:3333');
    await writeFile(join(dir, 'outside', 'other.php'), 'eval(base64_decode(');
    await symlink(join(dir, 'outside'), join(dir, 'www', 'link'));

    const r = await runYara({ rules: RULES, paths: [join(dir, 'www'), join(dir, 'tmp', 'xmr')], recursive: true }, ctx);
    assert.equal(YaraResultSchema.safeParse(r).success, true);
    const got = r.matches.map((m) => [m.rule, m.path, m.tags]).sort();
    assert.deepEqual(got, [
      ['Miner', join(dir, 'tmp', 'xmr'), undefined],
      ['Webshell', join(dir, 'www', 'up', 'shell.php'), ['webshell', 'php']],
    ]);

    const flat = await runYara({ rules: RULES, paths: [join(dir, 'www')], recursive: false }, ctx);
    assert.deepEqual(flat.matches, []);
  } finally {
    await ctx.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a rule that does not compile is task.failed with the compiler message', { skip: await skipUnlessTool('yara') }, async () => {
  const ctx = await testRunnerContext({ scan_paths: ['/tmp'] });
  try {
    await assert.rejects(runYara({ rules: 'rule Broken { condition: $nope }', paths: [ctx.workDir], recursive: true }, ctx), (e: Error & { code: string }) => {
      assert.equal(e.code, 'task.failed');
      assert.match(e.message, /^yara could not compile the rules: .*undefined string "\$nope"/);
      assert.equal(e.message.includes(ctx.workDir), false, 'the scratch path is not leaked into the message');
      return true;
    });
    await assert.rejects(runYara({ rules: RULES, paths: ['/etc'], recursive: true }, ctx), { code: 'task.path_not_allowed' });
  } finally {
    await ctx.cleanup();
  }
});
