#!/usr/bin/env node
// Runs the bundled CLI (built by `npm install`); falls back to the TypeScript sources through tsx
// when the bundle is missing or DIO_FROM_SOURCE=1 (development).
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// `dio agent` runs V8 in lite mode (no optimising JIT, feedback allocated lazily): an idle agent
// stays near 56 MB resident instead of 64 MB; parsing its logs is ~2.5x slower, which one host's
// logs rarely notice. It must be set before any module compiles, hence here; --no-lite-mode
// (for hosts with very busy logs) keeps the full JIT. Only for the bundle: lite mode implies
// jitless, which has no WebAssembly, and tsx's loader (running the sources) needs it.
const bundle = new URL('../dist/dio.js', import.meta.url);
if (process.env.DIO_FROM_SOURCE !== '1' && existsSync(bundle)) {
  if (process.argv[2] === 'agent' && !process.argv.includes('--no-lite-mode')) setFlagsFromString('--lite-mode');
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cmd/main.ts', import.meta.url).href);
}
