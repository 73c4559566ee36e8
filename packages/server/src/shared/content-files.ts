import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { AppError } from './app-error.js';

export interface ContentDocument {
  raw: unknown;
  /** "dir/file.yaml", or "dir/file.yaml#2" for the second document of a multi-document file. */
  origin: string;
}

/**
 * Every YAML document of every *.yaml/*.yml file in `dir`, in file-name order (order matters
 * for profiles). Empty documents are skipped; YAML errors name the file.
 */
export async function readContentDocuments(dir: string, what: string): Promise<ContentDocument[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch (e) {
    throw new AppError('content.unreadable', `cannot read ${what} folder ${dir}: ${(e as Error).message}`, { status: 400, cause: e });
  }
  const out: ContentDocument[] = [];
  for (const f of files) {
    const path = join(dir, f);
    const docs = parseAllDocuments(await readFile(path, 'utf8'));
    for (const [i, doc] of docs.entries()) {
      if (doc.errors.length) throw new AppError('content.invalid_yaml', `${path}: ${doc.errors[0]!.message}`, { status: 400 });
      const raw: unknown = doc.toJS();
      if (raw !== null && raw !== undefined) out.push({ raw, origin: docs.length > 1 ? `${path}#${i + 1}` : path });
    }
  }
  return out;
}

/** One line per zod issue: "path: message", unknown keys spelled out. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.code === 'unrecognized_keys' ? `unknown key ${i.keys.join(', ')}` : i.message}`).join('; ');
}
