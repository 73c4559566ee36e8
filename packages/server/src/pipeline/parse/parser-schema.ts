import { z } from 'zod';
import { TIMESTAMP_FORMATS } from './token-clock.js';

/**
 * The YAML format of one parser file under content/parsers/ (see README.md beside this file).
 * Strict everywhere: an unknown key is an error naming the file and the key.
 */
const Name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lowercase letters, digits, "-" and "_"');
const TypeName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'lowercase letters, digits, "-" and "_"');
const GroupName = z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/, 'a regex group name');
const Scalar = z.union([z.string().max(4096), z.number(), z.boolean()]);

export const CONVERSIONS = ['string', 'lowercase', 'int', 'ip', 'flag', 'http_outcome'] as const;
export type Conversion = (typeof CONVERSIONS)[number];

export const GroupValueSchema = z.strictObject({
  /** Regex group whose text is the value. A group that did not take part, or matched '', gives no value. */
  group: GroupName,
  /**
   * string (default) | lowercase | int (digits only; otherwise no value) | ip (validated and
   * canonicalised; an invalid address gives no value, the rest of the event stands) |
   * flag (the string 'true' when the group took part) | http_outcome (status < 400 → success).
   * Defaults to the target's own kind (int for ports, ip for *.ip).
   */
  type: z.enum(CONVERSIONS).optional(),
  /** Translate the (converted) text; text not in the map gives no value (or `default`). */
  map: z.record(z.string().max(256), Scalar).optional(),
  /** Texts that mean "absent", e.g. ['-'] for empty access-log fields. */
  except: z.array(z.string().max(256)).max(32).optional(),
  /** Value used when there is no value. */
  default: Scalar.optional(),
});
export type GroupValue = z.infer<typeof GroupValueSchema>;

export const SetValueSchema = z.union([
  Scalar,
  z.array(z.string().max(64)).max(8),
  GroupValueSchema,
  z.strictObject({ value: z.union([Scalar, z.array(z.string().max(64)).max(8)]) }),
]);
export type SetValue = z.infer<typeof SetValueSchema>;

/** Field → value. Keys are ECS field names DIO carries, or `labels.<key>`. */
export const SetMapSchema = z.record(z.string().max(160), SetValueSchema);

const TimestampSpecSchema = z.strictObject({
  group: GroupName,
  format: z.enum(TIMESTAMP_FORMATS),
});

export const PatternSchema = z.strictObject({
  id: Name,
  description: z.string().max(1000).optional(),
  /** Literal the text must start with; also used to index patterns by first character. */
  startsWith: z.string().min(1).max(256).optional(),
  /** Literal(s) the text must contain (cheap prefilter before the regex). */
  contains: z.union([z.string().min(1).max(256), z.array(z.string().min(1).max(256)).min(1).max(8)]).optional(),
  /** JavaScript regex with named groups; anchor it with ^ (and $) — unanchored scans are slow. Absent: the prefilters alone decide. */
  regex: z.string().min(1).max(4096).optional(),
  flags: z.enum(['', 'i']).optional(),
  /** Event time from a group (required for envelope: none, optional for syslog where the envelope has one). */
  timestamp: TimestampSpecSchema.optional(),
  set: SetMapSchema.default({}),
});
export type PatternSpec = z.infer<typeof PatternSchema>;

export const WhenSchema = z.strictObject({
  /** syslog: the pattern text is the syslog MSG of a line the envelope reader accepted; none: the whole line. */
  envelope: z.enum(['syslog', 'none']),
  /** syslog only: exact program names (TAG/APP-NAME). Absent: any program, tried after program-specific parsers. */
  program: z.union([z.string().min(1).max(128), z.array(z.string().min(1).max(128)).min(1).max(32)]).optional(),
});
export type WhenSpec = z.infer<typeof WhenSchema>;

const PerType = z.union([z.string().min(1).max(128), z.record(z.string().max(32), z.string().min(1).max(128))]);

export const ParserFileSchema = z.strictObject({
  name: Name,
  description: z.string().min(1).max(2000),
  version: z.number().int().positive(),
  /** Source types this parser serves (ctx.type). Default: [name]. 'auto' always tries every parser. */
  types: z.array(TypeName).min(1).max(16).optional(),
  /** Lower runs first among parsers that could claim the same line (ties: by name). */
  priority: z.number().int().min(0).max(1000).default(100),
  when: z.union([WhenSchema, z.array(WhenSchema).min(1).max(8)]),
  /** event.dataset: one name, or per source type with a `default` (e.g. {nginx: nginx.access, default: http.access}). */
  dataset: PerType,
  /** event.module, same form as dataset. */
  module: PerType.optional(),
  /** Default event time for every pattern (pattern-level `timestamp` wins). */
  timestamp: TimestampSpecSchema.optional(),
  /** Values set on every event of this parser; a pattern's own `set` wins. */
  defaults: SetMapSchema.optional(),
  patterns: z.array(PatternSchema).min(1).max(500),
});
export type ParserFile = z.infer<typeof ParserFileSchema>;
