import type { CompiledParser } from './compile-parser.js';
import { bindPattern, buildEvent, SCRATCH, type BoundPattern } from './event-builder.js';
import type { LoadedParsers, ParseContext, ParsedEvent, ParseExplanation } from './port.js';
import { buildPrefixIndex, candidates, type PrefixNode } from './prefix-index.js';
import { SyslogEnvelope } from './syslog-envelope.js';


/** Lines longer than this are refused (counted as unparsed): they bound regex work per line. */
export const MAX_LINE = 65536;
const MAX_PLANS = 64;
/** EventSchema's limit for dio.input. */
const MAX_INPUT = 512;

/** Patterns of several parsers, indexed by their `startsWith` literals. */
interface Index {
  count: number;
  root: PrefixNode<BoundPattern>;
}

/** Everything one source type may use, compiled on first use of that type. */
interface Plan {
  hasSyslog: boolean;
  /** Program names with their own parsers; scanned with === (short flat strings compare faster than a Map hashes a fresh string). */
  programNames: string[];
  programIndexes: Index[];
  byProgram: Map<string, Index>;
  anyProgram: Index;
  none: Index;
}

function buildIndex(patterns: BoundPattern[]): Index {
  return { count: patterns.length, root: buildPrefixIndex(patterns) };
}

function perType(spec: string | Record<string, string> | undefined, type: string): string | undefined {
  if (spec === undefined || typeof spec === 'string') return spec;
  return spec[type] ?? spec.default;
}

function buildPlan(parsers: readonly CompiledParser[], type: string): Plan {
  const chosen = parsers.filter((p) => type === 'auto' || p.types.includes(type));
  const bound = (p: CompiledParser) => p.patterns.map((pt) => bindPattern(pt, p.name, perType(p.dataset, type)!, perType(p.module, type)));
  const specific = new Map<string, BoundPattern[]>();
  const anyProgram: BoundPattern[] = [];
  const none: BoundPattern[] = [];
  for (const p of chosen) {
    const pats = bound(p);
    for (const w of p.whens) {
      if (w.envelope === 'none') none.push(...pats);
      else if (w.programs === undefined) anyProgram.push(...pats);
      else for (const prog of w.programs) specific.set(prog, [...(specific.get(prog) ?? []), ...pats]);
    }
  }
  const byProgram = new Map<string, Index>();
  // program-specific parsers first, then the ones for any program
  for (const [prog, pats] of specific) byProgram.set(prog, buildIndex([...pats, ...anyProgram]));
  const small = byProgram.size <= 16;
  return {
    hasSyslog: specific.size > 0 || anyProgram.length > 0,
    programNames: small ? [...byProgram.keys()] : [],
    programIndexes: small ? [...byProgram.values()] : [],
    byProgram,
    anyProgram: buildIndex(anyProgram),
    none: buildIndex(none),
  };
}

/**
 * The runtime of a loaded parser set. Per line: strip a trailing CR, read the syslog envelope,
 * look the program up, walk the prefix index to the few patterns whose `startsWith` fits, test
 * the remaining literal prefilters, and only then run a regex.
 * Lines no syslog parser claims are offered to the envelope-less parsers (access/error logs).
 */
export class ParserSet implements LoadedParsers {
  readonly names: readonly string[];
  readonly types: ReadonlySet<string>;
  /** Lines that hit an internal error (a bug): counted and returned as unparsed. */
  errors = 0;
  private readonly plans = new Map<string, Plan>();
  private readonly env = new SyslogEnvelope();
  /** Field values of the event being built (see assemble.ts); all undefined between lines. */
  private readonly slots: unknown[] = new Array<unknown>(SCRATCH).fill(undefined);
  private lastType = '';
  private lastPlan: Plan | undefined;
  private lastProgram = '';
  private lastProgramIndex: Index | undefined;
  private matched: BoundPattern | undefined;
  private matchedEnvelope = false;

  constructor(private readonly parsers: readonly CompiledParser[]) {
    this.names = parsers.map((p) => p.name);
    this.types = new Set(['auto', ...parsers.flatMap((p) => p.types)]);
  }

  parse(line: string, ctx: ParseContext): ParsedEvent | null {
    try {
      return this.run(line, ctx);
    } catch {
      // a bug here must cost one line, never the pipeline
      this.errors++;
      this.slots.fill(undefined);
      return null;
    }
  }

  explain(line: string, ctx: ParseContext): ParseExplanation | null {
    this.matched = undefined;
    const result = this.parse(line, ctx);
    // parse() set it (TypeScript cannot see that through the call)
    const matched = this.matched as BoundPattern | undefined;
    if (result === null || matched === undefined) return null;
    return { parser: matched.parser, pattern: matched.id, envelope: this.matchedEnvelope ? 'syslog' : 'none', result };
  }

  private plan(type: string): Plan {
    if (type === this.lastType && this.lastPlan !== undefined) return this.lastPlan;
    let plan = this.plans.get(type);
    if (plan === undefined) {
      plan = buildPlan(this.parsers, type);
      // unknown types could be arbitrary strings: only cache a bounded number of plans
      if (this.plans.size < MAX_PLANS) this.plans.set(type, plan);
    }
    this.lastType = type;
    this.lastPlan = plan;
    this.lastProgram = '';
    this.lastProgramIndex = undefined;
    return plan;
  }

  private run(line: string, ctx: ParseContext): ParsedEvent | null {
    let n = line.length;
    if (n === 0 || n > MAX_LINE) return null;
    if (line.charCodeAt(n - 1) === 13) {
      line = line.slice(0, --n);
      if (n === 0) return null;
    }
    const plan = this.plan(ctx.type);
    const input = ctx.source.length > MAX_INPUT ? ctx.source.slice(0, MAX_INPUT) : ctx.source;
    if (plan.hasSyslog && this.env.parse(line, ctx.referenceTime)) {
      const env = this.env;
      const prog = env.program;
      let index: Index;
      if (prog === undefined) index = plan.anyProgram;
      else if (prog === this.lastProgram && this.lastProgramIndex !== undefined) index = this.lastProgramIndex;
      else {
        index = programIndex(plan, prog);
        this.lastProgram = prog;
        this.lastProgramIndex = index;
      }
      if (index.count > 0) {
        const r = this.tryIndex(index, env.message, env, ctx.referenceTime, input);
        if (r !== null) return r;
      }
    }
    if (plan.none.count === 0) return null;
    return this.tryIndex(plan.none, line, null, ctx.referenceTime, input);
  }

  private tryIndex(index: Index, text: string, env: SyslogEnvelope | null, ref: number, input: string): ParsedEvent | null {
    const list = candidates(index.root, text);
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      if (p.prefix !== undefined && !p.prefix.test(text)) continue;
      if (p.needles !== undefined && !testAll(text, p.needles)) continue;
      let m: RegExpExecArray | null = null;
      if (p.re !== undefined) {
        m = p.re.exec(text);
        if (m === null) continue;
      }
      let ts: number;
      let iso: string;
      if (p.clock !== undefined && m !== null && m[p.tsGroup] !== undefined && p.clock.parse(m[p.tsGroup]!, ref)) {
        ts = p.clock.ts;
        iso = p.clock.iso;
      } else if (env !== null) {
        ts = env.ts;
        iso = env.iso;
      } else {
        continue; // no usable time: not this pattern
      }
      this.matched = p;
      this.matchedEnvelope = env !== null;
      return { ts, event: buildEvent(p, m, text, iso, env, input, this.slots) };
    }
    return null;
  }
}

function programIndex(plan: Plan, prog: string): Index {
  const names = plan.programNames;
  if (names.length === 0) return plan.byProgram.get(prog) ?? plan.anyProgram;
  for (let i = 0; i < names.length; i++) if (names[i] === prog) return plan.programIndexes[i]!;
  return plan.anyProgram;
}

function testAll(text: string, needles: RegExp[]): boolean {
  for (let i = 0; i < needles.length; i++) if (!needles[i]!.test(text)) return false;
  return true;
}
