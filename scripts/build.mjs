#!/usr/bin/env node
// Bundles the dio CLI into packages/server/dist/dio.js so the installed command starts fast
// without a TypeScript loader. Dependencies stay external (resolved from node_modules).
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${root}packages/server/package.json`, 'utf8'));
// zod (and the Fastify provider that must share its copy) is bundled so esbuild can drop what DIO
// never uses, such as its 40 locales: ~10 MB less resident memory in every process.
const BUNDLED = new Set(['zod', 'fastify-type-provider-zod']);
const external = Object.keys(pkg.dependencies ?? {}).filter((d) => !d.startsWith('@dio/') && !BUNDLED.has(d));

// Stale chunks from earlier builds would pile up (names carry content hashes).
rmSync(`${root}packages/server/dist`, { recursive: true, force: true });

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
  // Whitespace-minified and ASCII-only: V8 keeps every module's source text in memory, and one
  // non-ASCII character makes a whole chunk a two-byte string (the agent's idle RSS is the budget).
  // Names and syntax are kept so stack traces stay readable; the source map maps them back.
  minifyWhitespace: true,
  charset: 'ascii',
  legalComments: 'none',
  external,
  banner: { js: "import { createRequire as __dioCreateRequire } from 'node:module'; const require = __dioCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
