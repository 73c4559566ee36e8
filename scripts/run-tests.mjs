#!/usr/bin/env node
// Collects *.test.ts files (Node 20's --test does not glob .ts) and runs them with node's
// test runner through tsx. Extra args: path prefixes to restrict the run, e.g.
//   npm test -- packages/server/src/pipeline/detect
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const roots = ['packages', 'content', 'test', 'bench'];
const skip = new Set(['node_modules', 'dist', '.git', 'testdata']);

function walk(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (skip.has(name)) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (/\.test\.tsx?$/.test(name) && !name.endsWith('.case.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passthrough = process.argv.slice(2).filter((a) => a.startsWith('-'));
let files = roots.flatMap((r) => walk(join(root, r), []));
if (filters.length) files = files.filter((f) => filters.some((x) => f.startsWith(x.replace(/^\.\//, ''))));
files.sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const concurrency = Math.max(2, availableParallelism());
const args = ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...passthrough, ...files];
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, DIO_LOG_LEVEL: process.env.DIO_LOG_LEVEL ?? 'silent' } });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
