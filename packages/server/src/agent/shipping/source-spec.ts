import { AppError } from '../../shared/app-error.js';

export interface ShipSource {
  path: string;
  /** Parser source type ('auto' tries every parser). */
  type: string;
  /** Where to start a file never seen before (a stored offset always wins); default end, like `tail -F`. */
  startAt?: 'end' | 'beginning';
}

const TYPE_RE = /^[a-z][a-z0-9_-]{0,31}$/;

/**
 * `--source PATH[:TYPE]`: the text after the last `:` is the type when it looks like one
 * (`/var/log/auth.log:sshd`); otherwise the whole text is the path and the type is `auto`.
 * A path that itself ends in `:word` is given with an explicit type (`/x/a:b:auto`).
 */
export function parseSourceSpec(spec: string, knownTypes?: ReadonlySet<string>): ShipSource {
  const at = spec.lastIndexOf(':');
  const tail = at > 0 ? spec.slice(at + 1) : '';
  const [path, type] = TYPE_RE.test(tail) ? [spec.slice(0, at), tail] : [spec, 'auto'];
  if (path.length === 0 || path.includes('\0')) throw new AppError('ship.invalid_source', `--source ${JSON.stringify(spec)}: expected PATH[:TYPE]`, { status: 400 });
  if (knownTypes && type !== 'auto' && !knownTypes.has(type)) {
    throw new AppError('ship.invalid_source', `--source ${JSON.stringify(spec)}: unknown type "${type}" (known: ${[...knownTypes].sort().join(', ')})`, { status: 400 });
  }
  return { path, type };
}
