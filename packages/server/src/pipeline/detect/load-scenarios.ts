import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { AppError } from '../../shared/app-error.js';
import { compileScenario, type CompiledScenario } from './compile-scenario.js';

/**
 * Loads every *.yaml under `dir` (one scenario per YAML document; a file may hold several
 * documents separated by ---). Names must be unique. `only` restricts to the listed names.
 */
export async function loadScenarios(dir: string, only?: readonly string[]): Promise<CompiledScenario[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch (e) {
    throw new AppError('content.unreadable', `cannot read scenarios folder ${dir}: ${(e as Error).message}`, { status: 400, cause: e });
  }
  const out: CompiledScenario[] = [];
  const seen = new Map<string, string>();
  for (const f of files) {
    const path = join(dir, f);
    const docs = parseAllDocuments(await readFile(path, 'utf8'));
    for (const [i, doc] of docs.entries()) {
      if (doc.errors.length) throw new AppError('content.invalid_yaml', `${path}: ${doc.errors[0]!.message}`, { status: 400 });
      const raw: unknown = doc.toJS();
      if (raw === null || raw === undefined) continue;
      const sc = compileScenario(raw, docs.length > 1 ? `${path}#${i + 1}` : path);
      const prev = seen.get(sc.spec.name);
      if (prev) throw new AppError('content.duplicate_scenario', `${path}: scenario name "${sc.spec.name}" is already used by ${prev}`, { status: 400 });
      seen.set(sc.spec.name, path);
      out.push(sc);
    }
  }
  if (only) {
    const missing = only.filter((n) => !seen.has(n));
    if (missing.length) throw new AppError('config.unknown_scenario', `detect.scenarios names unknown scenario(s): ${missing.join(', ')} (known: ${[...seen.keys()].join(', ')})`, { status: 400 });
    return out.filter((s) => only.includes(s.spec.name));
  }
  return out;
}
