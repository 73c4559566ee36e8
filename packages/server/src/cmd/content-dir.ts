import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The content/ folder shipped with DIO: found by walking up from this module (src or dist). */
export function defaultContentDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const c = join(dir, 'content');
    if (existsSync(join(c, 'scenarios')) && existsSync(join(c, 'parsers'))) return c;
    dir = dirname(dir);
  }
  return resolve('content');
}
