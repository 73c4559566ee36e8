import { parseDuration } from '@dio/protocol';
import { AppError } from '../../shared/app-error.js';
import { formatIssues, readContentDocuments } from '../../shared/content-files.js';
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
    throw new AppError('content.invalid_profile', `${origin}: ${formatIssues(r.error.issues)}`, { status: 400 });
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
  return (await readContentDocuments(dir, 'profiles')).map((d) => compileProfile(d.raw, d.origin));
}
