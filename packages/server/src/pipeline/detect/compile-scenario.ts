import { AppError } from '../../shared/app-error.js';
import { formatIssues } from '../../shared/content-files.js';
import { compileFieldPath, type Getter } from './field-path.js';
import { scalarString } from './scalar-string.js';
import { compileFilter, requiredActions, type Predicate } from './matcher.js';
import { durationMs, ScenarioSchema, type ScenarioSpec } from './scenario-schema.js';

export interface CompiledScenario {
  spec: ScenarioSpec;
  /** Where it came from (file path), for error messages. */
  origin: string;
  matches: Predicate;
  cancels?: Predicate;
  /** event.action values the filter needs (index key); undefined = evaluate for every event. */
  actions?: string[];
  cancelActions?: string[];
  groupKey: Getter;
  distinct?: Getter;
  capacity: number;
  leakMs: number;
  windowMs: number;
  cooldownMs: number;
  title: (doc: unknown) => string;
}

/** "{source.ip} did x" → function filling placeholders from the event (missing → "?"). */
function compileTemplate(tpl: string): (doc: unknown) => string {
  const parts: Array<string | Getter> = [];
  let last = 0;
  for (const m of tpl.matchAll(/\{([^{}]+)\}/g)) {
    parts.push(tpl.slice(last, m.index));
    parts.push(compileFieldPath(m[1]!));
    last = m.index + m[0].length;
  }
  parts.push(tpl.slice(last));
  return (doc) => parts.map((p) => (typeof p === 'string' ? p : (scalarString(p(doc)) ?? '?'))).join('');
}

export function compileScenario(raw: unknown, origin: string): CompiledScenario {
  const parsed = ScenarioSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError('content.invalid_scenario', `${origin}: ${formatIssues(parsed.error.issues)}`, { status: 400 });
  }
  const spec = parsed.data;
  try {
    return {
      spec,
      origin,
      matches: compileFilter(spec.filter, `${origin}: filter`),
      cancels: spec.cancel_on ? compileFilter(spec.cancel_on, `${origin}: cancel_on`) : undefined,
      actions: requiredActions(spec.filter),
      cancelActions: spec.cancel_on ? requiredActions(spec.cancel_on) : undefined,
      groupKey: compileFieldPath(spec.group_by),
      distinct: spec.distinct ? compileFieldPath(spec.distinct) : undefined,
      capacity: spec.capacity ?? 1,
      leakMs: spec.leak_speed ? durationMs(spec.leak_speed) : 0,
      windowMs: spec.window ? durationMs(spec.window) : 0,
      cooldownMs: durationMs(spec.cooldown),
      title: compileTemplate(spec.alert.title),
    };
  } catch (e) {
    if (e instanceof AppError && !e.message.startsWith(origin)) throw new AppError(e.code, `${origin}: ${e.message}`, { status: 400, cause: e });
    throw e;
  }
}
