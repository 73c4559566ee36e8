/**
 * Validates an IP address taken from a log line and returns its canonical text, or undefined.
 * IPv4 must be dotted-quad without leading zeros (a leading zero means octal to some tools, so
 * such text is ambiguous and refused). IPv6 is rewritten per RFC 5952 (lowercase, no leading
 * zeros, longest zero run compressed); IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes the IPv4 text so
 * one attacker is one key everywhere. Zone ids (fe80::1%eth0) are refused.
 * Hand-written because it runs on nearly every event: the IPv4 path allocates nothing.
 */
export function canonicalIp(s: string): string | undefined {
  const n = s.length;
  if (n >= 7 && n <= 15 && isIPv4At(s, 0, n)) return s;
  if (n < 2 || n > 45 || s.indexOf(':') === -1) return undefined;
  return canonicalIPv6(s);
}

/** True when s[from, to) is a dotted-quad IPv4 address without leading zeros. */
export function isIPv4At(s: string, from: number, to: number): boolean {
  let parts = 0;
  let digits = 0;
  let value = 0;
  let first = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 0) first = c;
      else if (first === 48) return false;
      digits++;
      value = value * 10 + (c - 48);
      if (digits > 3 || value > 255) return false;
    } else if (c === 46) {
      if (digits === 0) return false;
      parts++;
      digits = 0;
      value = 0;
    } else {
      return false;
    }
  }
  return parts === 3 && digits > 0;
}

function canonicalIPv6(s: string): string | undefined {
  const groups: number[] = [];
  let tailV4: number[] | undefined;
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return undefined;
  const head = dbl === -1 ? s : s.slice(0, dbl);
  const tail = dbl === -1 ? '' : s.slice(dbl + 2);
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const all = [...headGroups, ...tailGroups];
  const last = all[all.length - 1];
  if (last !== undefined && last.indexOf('.') !== -1) {
    // the embedded IPv4 must be the final 32 bits, never before a '::'
    if (dbl !== -1 && tail === '') return undefined;
    if (!isIPv4At(last, 0, last.length)) return undefined;
    tailV4 = last.split('.').map(Number);
    if (tailGroups.length > 0) tailGroups.pop();
    else headGroups.pop();
  }
  const parsedHead = parseGroups(headGroups);
  const parsedTail = parseGroups(tailGroups);
  if (parsedHead === undefined || parsedTail === undefined) return undefined;
  const v4Groups = tailV4 ? 2 : 0;
  const explicit = parsedHead.length + parsedTail.length + v4Groups;
  if (dbl === -1) {
    if (explicit !== 8) return undefined;
  } else if (explicit > 7) {
    return undefined;
  }
  groups.push(...parsedHead);
  for (let i = explicit; i < 8; i++) groups.push(0);
  groups.push(...parsedTail);
  if (tailV4) groups.push((tailV4[0]! << 8) | tailV4[1]!, (tailV4[2]! << 8) | tailV4[3]!);
  // IPv4-mapped: ::ffff:a.b.c.d is the IPv4 host itself.
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    const hi = groups[6]!;
    const lo = groups[7]!;
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return formatIPv6(groups);
}

function parseGroups(parts: string[]): number[] | undefined {
  const out: number[] = [];
  for (const p of parts) {
    if (p.length === 0 || p.length > 4) return undefined;
    let v = 0;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      else return undefined;
      v = v * 16 + d;
    }
    out.push(v);
  }
  return out;
}

/** RFC 5952 text: compress the longest run (>= 2) of zero groups, the first one on ties. */
function formatIPv6(g: number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (x: number) => x.toString(16);
  if (bestStart === -1) return g.map(hex).join(':');
  const left = g.slice(0, bestStart).map(hex).join(':');
  const right = g.slice(bestStart + bestLen).map(hex).join(':');
  return `${left}::${right}`;
}
