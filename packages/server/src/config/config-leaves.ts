import type { z } from 'zod';
import { AppError } from '../shared/app-error.js';

export type LeafKind = 'string' | 'number' | 'boolean' | 'enum' | 'string[]' | 'complex';

export interface Leaf {
  path: string;
  kind: LeafKind;
  /** DIO_* variable that sets it (absent for lists of objects such as sources). */
  env?: string;
  description?: string;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  in?: z.ZodType;
}

function defOf(s: z.ZodType): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (;;) {
    const d = defOf(cur);
    if ((d.type === 'default' || d.type === 'prefault' || d.type === 'optional' || d.type === 'nullable' || d.type === 'readonly') && d.innerType) cur = d.innerType;
    else if (d.type === 'pipe' && d.in) cur = d.in;
    else return cur;
  }
}

/** Every settable leaf of the config schema, keyed by dotted path (api.listen → DIO_API_LISTEN). */
export function configLeaves(schema: z.ZodType): Map<string, Leaf> {
  const out = new Map<string, Leaf>();
  const walk = (s: z.ZodType, path: string[]) => {
    const inner = unwrap(s);
    const d = defOf(inner);
    const description = (s as { description?: string }).description;
    if (d.type === 'object' && d.shape) {
      for (const [k, v] of Object.entries(d.shape)) walk(v, [...path, k]);
      return;
    }
    const p = path.join('.');
    let kind: LeafKind = 'complex';
    if (d.type === 'string') kind = 'string';
    else if (d.type === 'number') kind = 'number';
    else if (d.type === 'boolean') kind = 'boolean';
    else if (d.type === 'enum') kind = 'enum';
    else if (d.type === 'array' && d.element) {
      const el = defOf(unwrap(d.element)).type;
      kind = el === 'string' || el === 'pipe' ? 'string[]' : 'complex';
    }
    out.set(p, { path: p, kind, env: kind === 'complex' ? undefined : `DIO_${path.join('_').toUpperCase()}`, description });
  };
  walk(schema, []);
  return out;
}

/** Turns a raw string from the environment or a flag into the leaf's type (validation follows in zod). */
export function coerceLeaf(leaf: Leaf, raw: string, where: string): unknown {
  switch (leaf.kind) {
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new AppError('config.invalid', `${where}: "${raw}" is not a number (for ${leaf.path})`, { status: 400 });
      return n;
    }
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw new AppError('config.invalid', `${where}: "${raw}" is not a boolean (true/false) (for ${leaf.path})`, { status: 400 });
    case 'string[]':
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    case 'complex':
      throw new AppError('config.invalid', `${where}: ${leaf.path} can only be set in dio.yaml`, { status: 400 });
    default:
      return raw;
  }
}
