import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { AppError, errorMessage } from '../../shared/app-error.js';
import type { Logger } from '../../shared/logger.js';
import { compileParser, type CompiledParser } from './compile-parser.js';
import { ParserFileSchema } from './parser-schema.js';
import { ParserSet } from './parser-set.js';
import type { LoadedParsers } from './port.js';

const MAX_FILE_BYTES = 1 << 20;
const MAX_FILES = 500;

/**
 * Reads every `*.yaml`/`*.yml` in `dir` (content/parsers), validates each against the parser
 * schema, compiles regexes and mappings once, and returns the dispatching parser set.
 * Any problem is an AppError('content.invalid_parser') whose message names the file and key.
 */
export async function loadParsers(dir: string, opts: { logger?: Logger } = {}): Promise<LoadedParsers> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch (e) {
    throw new AppError('content.unreadable', `cannot read parser directory ${dir}: ${errorMessage(e)}`, { status: 400, cause: e });
  }
  if (names.length > MAX_FILES) throw new AppError('content.invalid_parser', `${dir}: more than ${MAX_FILES} parser files`, { status: 400 });
  const sources: { file: string; text: string }[] = [];
  for (const name of names) {
    const file = join(dir, name);
    const st = await stat(file);
    if (!st.isFile()) continue;
    if (st.size > MAX_FILE_BYTES) throw new AppError('content.invalid_parser', `${file}: larger than ${MAX_FILE_BYTES} bytes`, { status: 400 });
    sources.push({ file, text: await readFile(file, 'utf8') });
  }
  const set = compileParserSources(sources);
  opts.logger?.info({ component: 'parse', parsers: set.names, dir }, 'parsers loaded');
  return set;
}

/** Compiles already-read parser files (also used by tests that build parsers in memory). */
export function compileParserSources(sources: readonly { file: string; text: string }[]): ParserSet {
  const compiled: CompiledParser[] = [];
  const seen = new Map<string, string>();
  for (const { file, text } of sources) {
    let doc: unknown;
    try {
      // merge keys (<<: *anchor) let a file share mappings between patterns
      doc = parseYaml(text, { prettyErrors: true, maxAliasCount: 100, merge: true });
    } catch (e) {
      throw new AppError('content.invalid_parser', `${file}: invalid YAML: ${errorMessage(e)}`, { status: 400, cause: e });
    }
    const r = ParserFileSchema.safeParse(doc);
    if (!r.success) throw new AppError('content.invalid_parser', `${file}: ${formatIssues(r.error)}`, { status: 400, details: r.error.issues });
    const other = seen.get(r.data.name);
    if (other !== undefined) throw new AppError('content.invalid_parser', `${file}: name: "${r.data.name}" is already used by ${other}`, { status: 400 });
    seen.set(r.data.name, file);
    compiled.push(compileParser(r.data, file));
  }
  compiled.sort((a, b) => a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return new ParserSet(compiled);
}

function formatIssues(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => {
      const keys = 'keys' in i && Array.isArray(i.keys) ? `.${i.keys.join(', ')}` : '';
      const path = i.path.length ? i.path.map(String).join('.') : '(top level)';
      return `${path}${i.code === 'unrecognized_keys' ? keys : ''}: ${i.message}`;
    })
    .join('; ');
}
