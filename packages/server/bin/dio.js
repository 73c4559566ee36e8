#!/usr/bin/env node
// Runs the bundled CLI (built by `npm install`); falls back to the TypeScript sources through tsx
// when the bundle is missing or DIO_FROM_SOURCE=1 (development).
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/dio.js', import.meta.url);
if (process.env.DIO_FROM_SOURCE !== '1' && existsSync(bundle)) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cmd/main.ts', import.meta.url).href);
}
