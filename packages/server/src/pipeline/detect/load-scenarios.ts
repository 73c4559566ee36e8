import { AppError } from '../../shared/app-error.js';
import { readContentDocuments } from '../../shared/content-files.js';
import { compileScenario, type CompiledScenario } from './compile-scenario.js';

/**
 * Loads every *.yaml under `dir` (one scenario per YAML document; a file may hold several
 * documents separated by ---). Names must be unique. `only` restricts to the listed names.
 */
export async function loadScenarios(dir: string, only?: readonly string[]): Promise<CompiledScenario[]> {
  const out: CompiledScenario[] = [];
  const seen = new Map<string, string>();
  for (const { raw, origin } of await readContentDocuments(dir, 'scenarios')) {
    const sc = compileScenario(raw, origin);
    const prev = seen.get(sc.spec.name);
    if (prev) throw new AppError('content.duplicate_scenario', `${origin}: scenario name "${sc.spec.name}" is already used by ${prev}`, { status: 400 });
    seen.set(sc.spec.name, origin);
    out.push(sc);
  }
  if (!only) return out;
  const missing = only.filter((n) => !seen.has(n));
  if (missing.length) throw new AppError('config.unknown_scenario', `detect.scenarios names unknown scenario(s): ${missing.join(', ')} (known: ${[...seen.keys()].join(', ')})`, { status: 400 });
  return out.filter((s) => only.includes(s.spec.name));
}
