/**
 * A small streaming XML reader for tool output (nmap -oX). It reports elements and their
 * attributes only — nmap puts everything we keep in attributes — so there is no tree to grow
 * and memory stays at the depth of the document. It is safe by construction rather than by
 * configuration: no DTD processing at all (a DOCTYPE with an internal subset is refused, so no
 * entity can be declared, expanded or fetched), only the five predefined entities and numeric
 * character references are decoded, and depth, attribute count and element count are bounded.
 */

export interface XmlHandler {
  open(name: string, attrs: Readonly<Record<string, string>>): void;
  close(name: string): void;
}

export interface XmlLimits {
  /** Default 64. */
  maxDepth?: number;
  /** Per element; default 64. */
  maxAttributes?: number;
  /** Default 2 000 000. */
  maxElements?: number;
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_.:]*/y;
const SPACE = /[ \t\r\n]*/y;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function fail(msg: string, at: number): never {
  throw new Error(`XML: ${msg} at offset ${at}`);
}

/** Decodes the predefined entities and &#…; references; anything else is an error. */
export function decodeEntities(s: string, at = 0): string {
  if (!s.includes('&')) return s;
  return s.replace(/&([^;&]{0,10});?/g, (m, ref: string) => {
    if (!m.endsWith(';')) fail('unterminated entity reference', at);
    const named = PREDEFINED[ref];
    if (named !== undefined) return named;
    const code = /^#x[0-9a-fA-F]{1,6}$/.test(ref) ? parseInt(ref.slice(2), 16) : /^#[0-9]{1,7}$/.test(ref) ? parseInt(ref.slice(1), 10) : -1;
    if (code < 0) fail(`entity &${ref}; is not supported (no DTD entities)`, at);
    if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) fail(`invalid character reference &${ref};`, at);
    return String.fromCodePoint(code);
  });
}

function readName(xml: string, i: number): string {
  NAME.lastIndex = i;
  const m = NAME.exec(xml);
  if (m === null) fail('expected a name', i);
  return m[0];
}

function skipSpace(xml: string, i: number): number {
  SPACE.lastIndex = i;
  SPACE.exec(xml);
  return SPACE.lastIndex;
}

function skipPast(xml: string, i: number, end: string, what: string): number {
  const j = xml.indexOf(end, i);
  if (j < 0) fail(`unterminated ${what}`, i);
  return j + end.length;
}

/** Parses a start tag from `i` (just after '<'); returns the next offset and whether it was empty (`/>`). */
function readStartTag(xml: string, i: number, maxAttrs: number, h: XmlHandler): { next: number; name: string; empty: boolean } {
  const name = readName(xml, i);
  i += name.length;
  const attrs: Record<string, string> = Object.create(null) as Record<string, string>;
  let count = 0;
  for (;;) {
    const j = skipSpace(xml, i);
    const c = xml[j];
    if (c === '>' || (c === '/' && xml[j + 1] === '>')) {
      h.open(name, attrs);
      return { next: c === '>' ? j + 1 : j + 2, name, empty: c === '/' };
    }
    if (j === i) fail(`expected whitespace, '>' or '/>' in <${name}>`, j);
    const an = readName(xml, j);
    let k = skipSpace(xml, j + an.length);
    if (xml[k] !== '=') fail(`attribute ${an} has no value`, k);
    k = skipSpace(xml, k + 1);
    const q = xml[k];
    if (q !== '"' && q !== "'") fail(`attribute ${an} is not quoted`, k);
    const end = xml.indexOf(q, k + 1);
    if (end < 0) fail(`unterminated value of attribute ${an}`, k);
    const raw = xml.slice(k + 1, end);
    if (raw.includes('<')) fail(`'<' in the value of attribute ${an}`, k);
    if (an in attrs) fail(`duplicate attribute ${an}`, j);
    if (++count > maxAttrs) fail(`more than ${maxAttrs} attributes on <${name}>`, j);
    attrs[an] = decodeEntities(raw, k);
    i = end + 1;
  }
}

/**
 * Reads a whole document, calling `h` for each element; text and CDATA are skipped.
 * @throws Error on anything malformed, truncated or over limit.
 */
export function parseXml(xml: string, h: XmlHandler, limits: XmlLimits = {}): void {
  const maxDepth = limits.maxDepth ?? 64;
  const maxAttrs = limits.maxAttributes ?? 64;
  const maxElements = limits.maxElements ?? 2_000_000;
  const stack: string[] = [];
  let elements = 0;
  let rootSeen = false;
  let i = 0;
  const n = xml.length;
  while (i < n) {
    const lt = xml.indexOf('<', i);
    const textEnd = lt < 0 ? n : lt;
    if (stack.length === 0 && xml.slice(i, textEnd).trim() !== '') fail('text outside the root element', i);
    if (lt < 0) break;
    i = lt + 1;
    if (xml.startsWith('?', i)) i = skipPast(xml, i, '?>', 'processing instruction');
    else if (xml.startsWith('!--', i)) i = skipPast(xml, i + 3, '-->', 'comment');
    else if (xml.startsWith('![CDATA[', i)) {
      if (stack.length === 0) fail('CDATA outside the root element', i);
      i = skipPast(xml, i, ']]>', 'CDATA section');
    } else if (xml.startsWith('!DOCTYPE', i)) {
      if (rootSeen) fail('DOCTYPE after the root element', i);
      const end = skipPast(xml, i, '>', 'DOCTYPE');
      if (xml.slice(i, end).includes('[')) fail('DOCTYPE internal subsets are not supported', i);
      i = end;
    } else if (xml[i] === '/') {
      const name = readName(xml, i + 1);
      const j = skipSpace(xml, i + 1 + name.length);
      if (xml[j] !== '>') fail(`malformed end tag </${name}>`, j);
      const open = stack.pop();
      if (open !== name) fail(`</${name}> does not close <${open ?? '(nothing)'}>`, i);
      h.close(name);
      i = j + 1;
    } else {
      if (rootSeen && stack.length === 0) fail('a second root element', i);
      if (++elements > maxElements) fail(`more than ${maxElements} elements`, i);
      if (stack.length >= maxDepth) fail(`nesting deeper than ${maxDepth}`, i);
      const tag = readStartTag(xml, i, maxAttrs, h);
      rootSeen = true;
      i = tag.next;
      if (tag.empty) h.close(tag.name);
      else stack.push(tag.name);
    }
  }
  if (stack.length > 0) fail(`unexpected end of document inside <${stack[stack.length - 1]}>`, n);
  if (!rootSeen) fail('no root element', n);
}
