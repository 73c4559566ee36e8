import { AppError } from '../../shared/app-error.js';

export type Getter = (doc: unknown) => unknown;

const SEGMENT = /^[@A-Za-z_][A-Za-z0-9_@-]*$/;
const TRANSFORMS = ['urldecode', 'lower', 'length'] as const;
type Transform = (typeof TRANSFORMS)[number];

/** Percent-decoding that never throws (bad escapes are left as they are), applied twice to see through double encoding. */
export function safeUrlDecode(s: string): string {
  let out = s;
  for (let i = 0; i < 2 && out.includes('%'); i++) {
    try {
      out = decodeURIComponent(out.replace(/\+/g, ' '));
    } catch {
      out = out.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    }
  }
  return out;
}

/**
 * Compiles "source.ip" or "url.original|urldecode|lower" into a getter. Plain closures over the
 * path segments: no eval, no per-call string splitting (this runs for every event).
 */
export function compileFieldPath(spec: string): Getter {
  const [path, ...transforms] = spec.split('|').map((s) => s.trim());
  const segs = (path ?? '').split('.');
  if (!path || segs.some((s) => !SEGMENT.test(s))) throw new AppError('content.invalid_field', `invalid field path "${spec}"`, { status: 400 });
  for (const t of transforms) {
    if (!TRANSFORMS.includes(t as Transform)) throw new AppError('content.invalid_field', `unknown transform "${t}" in "${spec}" (known: ${TRANSFORMS.join(', ')})`, { status: 400 });
  }
  let get: Getter;
  const [a, b, c] = segs as [string, string?, string?];
  if (segs.length === 1) get = (d) => (d as Record<string, unknown> | undefined)?.[a];
  else if (segs.length === 2) get = (d) => ((d as Record<string, Record<string, unknown> | undefined> | undefined)?.[a])?.[b!];
  else if (segs.length === 3)
    get = (d) => (((d as Record<string, Record<string, Record<string, unknown> | undefined> | undefined> | undefined)?.[a])?.[b!])?.[c!];
  else
    get = (d) => {
      let cur: unknown = d;
      for (const s of segs) {
        if (cur === null || typeof cur !== 'object') return undefined;
        cur = (cur as Record<string, unknown>)[s];
      }
      return cur;
    };
  for (const t of transforms as Transform[]) {
    const inner = get;
    if (t === 'urldecode') get = (d) => { const v = inner(d); return typeof v === 'string' ? safeUrlDecode(v) : v; };
    else if (t === 'lower') get = (d) => { const v = inner(d); return typeof v === 'string' ? v.toLowerCase() : v; };
    else get = (d) => { const v = inner(d); return typeof v === 'string' || Array.isArray(v) ? v.length : undefined; };
  }
  return get;
}
