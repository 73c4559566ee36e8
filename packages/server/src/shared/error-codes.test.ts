import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('..', import.meta.url));
const DOC = fileURLToPath(new URL('../../../../docs/errors.md', import.meta.url));

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'testdata' && name !== 'testing') sources(p, out);
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

// Scripts and operators match on codes, so a code that is raised must be explained in docs/errors.md.
test('every error code the server raises is documented in docs/errors.md', () => {
  const doc = readFileSync(DOC, 'utf8');
  const raised = new Map<string, string>();
  for (const file of sources(SRC)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/new AppError\(\s*'([a-z_]+\.[a-z_]+)'/g)) raised.set(m[1]!, file.slice(SRC.length));
  }
  assert.ok(raised.size > 100, `found only ${raised.size} codes: the scan is broken`);
  const missing = [...raised].filter(([code]) => !doc.includes(`\`${code}\``)).map(([code, file]) => `${code} (${file})`);
  assert.deepEqual(missing, [], 'undocumented error codes');
});
