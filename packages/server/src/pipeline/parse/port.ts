import type { DioEvent } from '@dio/protocol';

/** What the caller knows about a line besides its text. */
export interface ParseContext {
  /** Id of the acquisition source (e.g. "file:/var/log/auth.log"); not interpreted by parsers. */
  source: string;
  /**
   * Which parsers may claim the line: 'auto' tries every parser; otherwise a source type such as
   * 'sshd' | 'nginx' | 'apache' | 'syslog' selects the parsers whose `types` list names it.
   */
  type: string;
  /** Epoch ms used to infer the year of BSD syslog timestamps (and for RFC 5424 NILVALUE time). */
  referenceTime: number;
}

/** A parsed line: its event time (epoch ms) and the ECS event (`@timestamp` = ISO of `ts`). */
export interface ParsedEvent {
  ts: number;
  event: DioEvent;
}

/** Turns one line into an event. Never throws on any input; `null` means "not recognised". */
export interface LineParser {
  parse(line: string, ctx: ParseContext): ParsedEvent | null;
}

/** Which parser and pattern claimed a line (for coverage reports and `dio content test`). */
export interface ParseExplanation {
  parser: string;
  pattern: string;
  envelope: 'syslog' | 'none';
  result: ParsedEvent;
}

/** The compiled parser set returned by `loadParsers`. */
export interface LoadedParsers extends LineParser {
  /** Parser names in dispatch order. */
  readonly names: readonly string[];
  /** Every source type some parser serves (plus 'auto'); lets config reject unknown types early. */
  readonly types: ReadonlySet<string>;
  /** Lines that hit an internal error (a parser bug): counted, returned as unparsed. */
  readonly errors: number;
  /** Like `parse`, but also says which parser/pattern matched. Slower; not for the hot path. */
  explain(line: string, ctx: ParseContext): ParseExplanation | null;
}

// The brief places the loader beside the port; re-exported so callers need one import.
export { loadParsers } from './load-parsers.js';
