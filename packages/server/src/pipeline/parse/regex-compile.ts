/**
 * Compiles a content regex once. Named groups are rewritten to plain numbered groups (and
 * `\k<name>` to `\N`) so `exec` never builds a `groups` object per line; the name → index map is
 * kept for the compiler. Shapes prone to catastrophic or polynomial backtracking are refused.
 */
export interface CompiledRegex {
  re: RegExp;
  /** Group name → capture index. */
  groups: ReadonlyMap<string, number>;
  /** Number of capture groups. */
  count: number;
}

export class RegexError extends Error {}

export function compileRegex(source: string, flags = ''): CompiledRegex {
  try {
    // validates syntax, duplicate names and flags before our rewrite touches it
    new RegExp(source, flags);
  } catch (e) {
    throw new RegexError(`invalid regex: ${e instanceof Error ? e.message : String(e)}`);
  }
  const risk = backtrackingRisk(source);
  if (risk) throw new RegexError(`regex refused: ${risk}`);
  const groups = new Map<string, number>();
  let out = '';
  let count = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      if (!inClass && source[i + 1] === 'k' && source[i + 2] === '<') {
        const close = source.indexOf('>', i + 3);
        const name = source.slice(i + 3, close);
        const idx = groups.get(name);
        if (idx === undefined) throw new RegexError(`backreference \\k<${name}> must follow its group`);
        out += `(?:\\${idx})`;
        i = close;
        continue;
      }
      out += c + (source[i + 1] ?? '');
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      continue;
    }
    if (c === '(') {
      if (source[i + 1] !== '?') {
        count++;
        out += c;
        continue;
      }
      if (source[i + 2] === '<' && source[i + 3] !== '=' && source[i + 3] !== '!') {
        const close = source.indexOf('>', i + 3);
        count++;
        groups.set(source.slice(i + 3, close), count);
        out += '(';
        i = close;
        continue;
      }
    }
    out += c;
  }
  const re = new RegExp(out, flags);
  // cross-check our group count against the engine's
  const probe = new RegExp(`${out}|`, flags).exec('');
  if (!probe || probe.length - 1 !== count) throw new RegexError('could not index capture groups');
  return { re, groups, count };
}

/**
 * A cheap structural check, not a proof: refuses (1) a quantified group whose body holds an
 * unbounded quantifier, e.g. `(a+)+`, `(\s*x)*` (exponential), and (2) more than one `.*`/`.+`
 * (polynomial on long lines that almost match). Use `\S+`, `[^"]*` and anchors instead.
 */
export function backtrackingRisk(source: string): string | undefined {
  const stack: { unbounded: boolean }[] = [];
  let inClass = false;
  let dotStars = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      continue;
    }
    if (c === '(') {
      stack.push({ unbounded: false });
      continue;
    }
    const q = quantifierAt(source, i);
    if (q.unbounded) {
      if (source[i - 1] === '.' && source[i - 2] !== '\\') dotStars++;
      const top = stack[stack.length - 1];
      if (top) top.unbounded = true;
    }
    if (c === ')') {
      const g = stack.pop();
      if (g?.unbounded) {
        const parent = stack[stack.length - 1];
        if (parent) parent.unbounded = true;
        const after = quantifierAt(source, i + 1);
        if (after.repeats) return `nested quantifier near offset ${i + 1} (a repeated group that itself repeats)`;
      }
    }
  }
  if (dotStars > 1) return `${dotStars} unbounded wildcards (.* or .+); keep at most one and bound the others (\\S+, [^"]*)`;
  return undefined;
}

function quantifierAt(s: string, i: number): { unbounded: boolean; repeats: boolean } {
  const c = s[i];
  if (c === '*' || c === '+') return { unbounded: true, repeats: true };
  if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(i, i + 16));
    if (!m) return { unbounded: false, repeats: false };
    const hi = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
    return { unbounded: hi === Infinity, repeats: hi > 1 };
  }
  return { unbounded: false, repeats: false };
}
