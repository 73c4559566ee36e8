import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseDuration } from '@dio/protocol';
import { AppError } from '../../shared/app-error.js';
import { compileFilter, type Predicate } from '../detect/matcher.js';
import { ProfileSchema, type ProfileSpec } from './profile-schema.js';

export interface CompiledProfile {
  spec: ProfileSpec;
  origin: string;
  matches: Predicate;
  durationS: number;
  escalationS?: number[];
  lookbackS: number;
}

export function compileProfile(raw: unknown, origin: string): CompiledProfile {
  const r = ProfileSchema.safeParse(raw);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.code === 'unrecognized_keys' ? `unknown key ${i.keys.join(', ')}` : i.message}`).join('; ');
    throw new AppError('content.invalid_profile', `${origin}: ${msg}`, { status: 400 });
  }
  const spec = r.data;
  return {
    spec,
    origin,
    matches: compileFilter(spec.filter, `${origin}: filter`),
    durationS: parseDuration(spec.decision.duration),
    escalationS: spec.escalation?.durations.map(parseDuration),
    lookbackS: spec.escalation ? parseDuration(spec.escalation.lookback) : 0,
  };
}

/** Loads content/profiles/*.yaml in file-name order (order matters: first match decides). */
export async function loadProfiles(dir: string): Promise<CompiledProfile[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch (e) {
    throw new AppError('content.unreadable', `cannot read profiles folder ${dir}: ${(e as Error).message}`, { status: 400, cause: e });
  }
  const out: CompiledProfile[] = [];
  for (const f of files) {
    const path = join(dir, f);
    const docs = parseAllDocuments(await readFile(path, 'utf8'));
    for (const [i, doc] of docs.entries()) {
      if (doc.errors.length) throw new AppError('content.invalid_yaml', `${path}: ${doc.errors[0]!.message}`, { status: 400 });
      const raw: unknown = doc.toJS();
      if (raw !== null && raw !== undefined) out.push(compileProfile(raw, docs.length > 1 ? `${path}#${i + 1}` : path));
    }
  }
  return out;
}
