import { AppError } from '../../shared/app-error.js';

/**
 * NATS subject grammar: dot-separated non-empty tokens without whitespace. In patterns `*` is one
 * whole token and `>` is a whole last token matching one or more tokens. Kept strict so that
 * whatever the in-memory broker accepts, NATS accepts too.
 */
const MAX_SUBJECT_LENGTH = 256;
const LITERAL_TOKEN = /^[^\s.*>]+$/;

function invalid(what: string, value: unknown, why: string): AppError {
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : typeof value;
  return new AppError('broker.invalid', `invalid ${what} ${shown}: ${why}`, { status: 400 });
}

function tokensOf(what: string, value: unknown): string[] {
  if (typeof value !== 'string' || value.length === 0) throw invalid(what, value, 'must be a non-empty string');
  if (value.length > MAX_SUBJECT_LENGTH) throw invalid(what, value, `longer than ${MAX_SUBJECT_LENGTH} characters`);
  return value.split('.');
}

/** Throws `broker.invalid` unless `subject` is a literal subject (no wildcards). */
export function assertSubject(subject: unknown, what = 'subject'): asserts subject is string {
  for (const t of tokensOf(what, subject)) {
    if (!LITERAL_TOKEN.test(t)) throw invalid(what, subject, 'tokens must be non-empty, without spaces or wildcards');
  }
}

/** Throws `broker.invalid` unless `pattern` is a valid subject pattern; returns its tokens. */
export function patternTokens(pattern: unknown, what = 'subject pattern'): string[] {
  const tokens = tokensOf(what, pattern);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '*') continue;
    if (t === '>') {
      if (i !== tokens.length - 1) throw invalid(what, pattern, '">" must be the last token');
      continue;
    }
    if (!LITERAL_TOKEN.test(t)) throw invalid(what, pattern, 'tokens must be non-empty, without spaces; wildcards are whole tokens');
  }
  return tokens;
}

/** Does the literal subject (given as tokens) match the pattern tokens? */
export function matchTokens(pattern: readonly string[], subject: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === '>') return subject.length > i;
    if (i >= subject.length) return false;
    if (p !== '*' && p !== subject[i]) return false;
  }
  return pattern.length === subject.length;
}

/** Is there at least one subject that both patterns match? */
export function patternsOverlap(a: readonly string[], b: readonly string[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === '>' || y === '>') return true;
    if (x !== '*' && y !== '*' && x !== y) return false;
  }
  return a.length === b.length;
}

/** Does every subject matched by `inner` also match `outer`? */
export function patternIsSubset(inner: readonly string[], outer: readonly string[]): boolean {
  for (let i = 0; i < outer.length; i++) {
    const o = outer[i]!;
    if (i >= inner.length) return false;
    const x = inner[i]!;
    if (o === '>') return true;
    if (x === '>') return false;
    if (o === '*') continue;
    if (x !== o) return false;
  }
  return inner.length === outer.length;
}

/** A compiled pattern: literal patterns compare by string, wildcard ones by tokens. */
export interface SubjectMatcher {
  readonly pattern: string;
  readonly tokens: readonly string[];
  matches(subject: string, subjectTokens?: readonly string[]): boolean;
}

export function compilePattern(pattern: string, what?: string): SubjectMatcher {
  const tokens = patternTokens(pattern, what);
  const literal = !tokens.some((t) => t === '*' || t === '>');
  return {
    pattern,
    tokens,
    matches: literal
      ? (subject) => subject === pattern
      : (subject, subjectTokens) => matchTokens(tokens, subjectTokens ?? subject.split('.')),
  };
}
