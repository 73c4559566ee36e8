import type { ProcReader } from './proc-reader.js';

/** uid → login name from passwd text; the first entry wins for a uid listed twice. */
export function parsePasswd(text: string, max = 100_000): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (out.size >= max) break;
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    const uid = Number(f[2]);
    if (f[0] && Number.isInteger(uid) && uid >= 0 && !out.has(uid)) out.set(uid, f[0].slice(0, 64));
  }
  return out;
}

/**
 * A uid lookup that reads the passwd file on first use and keeps it: users rarely change, and a
 * re-read per sample would cost more than the whole process scan. Users from LDAP/SSSD are not in
 * the file; their processes show the numeric uid.
 */
export function createUserNames(reader: ProcReader, path = '/etc/passwd'): (uid: number) => string | undefined {
  let names: Map<number, string> | undefined;
  return (uid) => {
    names ??= parsePasswd(reader.read(path, 8 << 20) ?? '');
    return names.get(uid);
  };
}
