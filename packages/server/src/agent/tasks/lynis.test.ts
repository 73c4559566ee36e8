import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { LynisResultSchema } from '@dio/protocol';
import { lynisArgs, parseLynisReport, runLynis } from './lynis.js';
import { skipUnlessTool, testRunnerContext } from './task-context.test-util.js';

test('parses report.dat: warnings, suggestions with detail/solution, index, version, test count', async () => {
  const r = parseLynisReport(await readFile(new URL('testdata/lynis-report.dat', import.meta.url), 'utf8'));
  assert.equal(LynisResultSchema.safeParse(r).success, true);
  assert.equal(r.hardening_index, 56);
  assert.equal(r.lynis_version, '3.0.8');
  assert.equal(r.tests_performed, 248);
  assert.deepEqual(r.warnings, [
    { id: 'PKGS-7392', text: 'Found one or more vulnerable packages.' },
    { id: 'FIRE-4512', text: 'iptables module(s) loaded, but no rules active' },
    { id: 'MAIL-8818', text: 'Found some information disclosure in SMTP banner (OS or software name)', solution: 'text:Change the banner in smtpd_banner' },
  ]);
  assert.equal(r.suggestions.length, 6);
  assert.deepEqual(r.suggestions[2], { id: 'BOOT-5264', text: 'Consider hardening system services', detail: "Run '/usr/bin/systemd-analyze security SERVICE' for each service" });
});

test('missing or odd values: no index is null, the test count falls back to tests_executed', () => {
  const r = parseLynisReport('hardening_index=\ntests_executed=A-1|B-2|\r\nwarning[]=X-1\n');
  assert.deepEqual(r, { hardening_index: null, warnings: [], suggestions: [], tests_performed: 2 });
  assert.equal(parseLynisReport('hardening_index=101\n').hardening_index, null);
  const many = Array.from({ length: 2500 }, (_, i) => `suggestion[]=S-${i}|t|-|-|`).join('\n');
  assert.equal(parseLynisReport(many).suggestions.length, 2000);
});

test('argv: non-interactive audit, report in the task dir, groups as one argument', () => {
  assert.deepEqual(lynisArgs('/w/report.dat', undefined), ['audit', 'system', '--quick', '--no-colors', '--no-log', '--report-file', '/w/report.dat']);
  assert.deepEqual(lynisArgs('/w/r', ['ssh', 'authentication']).slice(-2), ['--tests-from-group', 'ssh authentication']);
});

test('an unknown test group is refused before the audit runs', { skip: await skipUnlessTool('lynis') }, async () => {
  const ctx = await testRunnerContext();
  try {
    await assert.rejects(runLynis({ groups: ['ssh', 'no_such_group'] }, ctx), { code: 'task.invalid_params', message: /no test group "no_such_group"/ });
  } finally {
    await ctx.cleanup();
  }
});

// A full audit takes ~3 minutes on the development VM; one group (plus the Debian plugin lynis
// always runs) takes ~45 s idle, ~2 min on a loaded machine: that is what is exercised here.
test('real lynis audit of one group produces a parsed report', { skip: await skipUnlessTool('lynis') }, async () => {
  const ctx = await testRunnerContext({}, { timeoutMs: 280_000 });
  try {
    const r = await runLynis({ groups: ['banners'] }, ctx);
    assert.equal(LynisResultSchema.safeParse(r).success, true);
    assert.match(r.lynis_version ?? '', /^3\./);
    assert.ok((r.tests_performed ?? 0) > 0);
    assert.equal(r.hardening_index, null, 'no index for a partial audit');
  } finally {
    await ctx.cleanup();
  }
});
