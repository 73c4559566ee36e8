/**
 * Picks the few patterns that can match a text from their `startsWith` literals, reading only
 * the characters where those literals differ (a compressed trie built at load time). A message
 * then costs a handful of charCodeAt reads before its one regex, instead of one prefix test per
 * pattern. Leaves keep the patterns' original order, and a pattern without a literal (or with a
 * literal too short to decide at a position) sits in every branch, so choosing by index never
 * changes which pattern wins — it only skips patterns that cannot match.
 */
export interface PrefixNode<T> {
  /** Text position read at this node; -1 for a leaf. */
  pos: number;
  chars: number[];
  kids: PrefixNode<T>[];
  /** Direct lookup for ASCII when there are many branches (first character of sshd messages). */
  table: (PrefixNode<T> | undefined)[] | undefined;
  /** Branch for characters not listed. */
  dflt: PrefixNode<T> | undefined;
  /** Candidates, in order (leaves only). */
  list: T[];
}

const TABLE_FROM = 6;

export function buildPrefixIndex<T extends { startsWith: string | undefined }>(items: T[]): PrefixNode<T> {
  return build(items, 0);
}

function leaf<T>(list: T[]): PrefixNode<T> {
  return { pos: -1, chars: [], kids: [], table: undefined, dflt: undefined, list };
}

function build<T extends { startsWith: string | undefined }>(items: T[], depth: number): PrefixNode<T> {
  const constrains = (it: T, p: number) => it.startsWith !== undefined && it.startsWith.length > p;
  let maxLen = 0;
  for (const it of items) maxLen = Math.max(maxLen, it.startsWith?.length ?? 0);
  for (let p = depth; p < maxLen; p++) {
    const active = items.filter((it) => constrains(it, p));
    if (active.length === 0) break;
    const chars = [...new Set(active.map((it) => it.startsWith!.charCodeAt(p)))];
    // split where the literals differ; at position 0 always (cheap first-character dispatch)
    if (chars.length < 2 && p > 0) continue;
    const kids = chars.map((ch) => build(items.filter((it) => !constrains(it, p) || it.startsWith!.charCodeAt(p) === ch), p + 1));
    const dflt = build(items.filter((it) => !constrains(it, p)), p + 1);
    let table: (PrefixNode<T> | undefined)[] | undefined;
    if (chars.length >= TABLE_FROM && chars.every((c) => c < 128)) {
      table = new Array<PrefixNode<T> | undefined>(128).fill(dflt);
      chars.forEach((c, i) => (table![c] = kids[i]));
    }
    return { pos: p, chars, kids, table, dflt, list: [] };
  }
  return leaf(items);
}

/** The candidates for `text`, in their original order. */
export function candidates<T>(root: PrefixNode<T>, text: string): T[] {
  let n = root;
  while (n.pos >= 0) {
    const c = text.charCodeAt(n.pos);
    const table = n.table;
    if (table !== undefined) {
      n = (c < 128 ? table[c] : n.dflt)!;
      continue;
    }
    const chars = n.chars;
    let next = n.dflt!;
    for (let i = 0; i < chars.length; i++) {
      if (chars[i] === c) {
        next = n.kids[i]!;
        break;
      }
    }
    n = next;
  }
  return n.list;
}
