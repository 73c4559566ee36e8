#!/usr/bin/env node
// Bundles the dio CLI into packages/server/dist/dio.js so the installed command starts fast
// without a TypeScript loader. Dependencies stay external (resolved from node_modules).
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${root}packages/server/package.json`, 'utf8'));
const external = Object.keys(pkg.dependencies ?? {}).filter((d) => !d.startsWith('@dio/'));

await build({
  entryPoints: [`${root}packages/server/src/cmd/main.ts`],
  outdir: `${root}packages/server/dist`,
  entryNames: 'dio',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  external,
  banner: { js: "import { createRequire as __dioCreateRequire } from 'node:module'; const require = __dioCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
