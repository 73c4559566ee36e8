import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { TaskParams, TaskResult } from '@dio/protocol';
import type { RunnerContext } from './policy.js';
import { listeningSockets } from './proc-net.js';
import { abortError } from './task-errors.js';

type InventoryResult = TaskResult<'inventory'>;
type Package = NonNullable<InventoryResult['packages']>[number];
type Service = NonNullable<InventoryResult['services']>[number];
type User = NonNullable<InventoryResult['users']>[number];

const MAX_PACKAGES = 50_000;
const MAX_SERVICES = 10_000;
const MAX_USERS = 50_000;
/** dpkg's status file is a few MiB on a big server; this bounds a corrupt or hostile one. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** A file's text, or undefined when absent; larger than the bound is an error rather than a silent cut. */
async function readBounded(p: string): Promise<string | undefined> {
  const st = await stat(p).catch(() => undefined);
  if (st === undefined || !st.isFile()) return undefined;
  if (st.size > MAX_FILE_BYTES) throw new Error(`${p} is larger than ${MAX_FILE_BYTES} bytes`);
  return readFile(p, 'utf8');
}

/** dpkg's status database → installed packages (Status "… … installed"); other states are dropped. */
export function parseDpkgStatus(text: string): Package[] {
  const out: Package[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const f = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      const m = /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/.exec(line);
      if (m !== null) f.set(m[1]!.toLowerCase(), m[2]!.trim());
    }
    const name = f.get('package');
    const version = f.get('version');
    if (name === undefined || version === undefined || f.get('status')?.split(/\s+/)[2] !== 'installed') continue;
    const pkg: Package = { name: name.slice(0, 256), version: version.slice(0, 256) };
    const arch = f.get('architecture');
    if (arch !== undefined && arch !== '') pkg.arch = arch.slice(0, 32);
    out.push(pkg);
  }
  return out;
}

/**
 * Shells that mean "no interactive login". /bin/sync is the classic `sync` account's shell: it
 * runs sync(1) and exits, so a password on it grants no session either.
 */
const NO_LOGIN = new Set(['nologin', 'false', 'sync']);

/** /etc/passwd → users; `login` is whether the account's shell gives a session. */
export function parsePasswd(text: string): User[] {
  const out: User[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length !== 7 || f[0] === '' || line.startsWith('#')) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!/^\d{1,10}$/.test(f[2]!) || !/^\d{1,10}$/.test(f[3]!)) continue;
    const shell = f[6]!.trim();
    out.push({ name: f[0]!.slice(0, 256), uid, gid, home: f[5]!.slice(0, 4096), shell: shell.slice(0, 4096), login: shell !== '' && !NO_LOGIN.has(basename(shell)) });
  }
  return out;
}

/** Where unit files live, most specific first (a unit in /etc overrides the packaged one). */
const UNIT_DIRS = ['etc/systemd/system', 'run/systemd/system', 'usr/local/lib/systemd/system', 'usr/lib/systemd/system', 'lib/systemd/system'];

/**
 * Services from unit files, without systemd: `enabled` means some target wants or requires it
 * (a symlink in /etc/systemd/system/*.wants or *.requires — for a template, any instance);
 * a unit linked to /dev/null in /etc is `masked`. Whether it runs is not knowable from files,
 * so `state` is given only for masked units. Aliases (a link under another name) are skipped.
 */
export async function listServices(root: string): Promise<{ services: Service[]; found: boolean }> {
  const etc = join(root, UNIT_DIRS[0]!);
  const wanted = new Set<string>();
  for (const d of await readdir(etc).catch(() => [] as string[])) {
    if (!d.endsWith('.wants') && !d.endsWith('.requires')) continue;
    for (const u of await readdir(join(etc, d)).catch(() => [] as string[])) wanted.add(u);
  }
  const units = new Map<string, Service>();
  let found = false;
  for (const dir of UNIT_DIRS) {
    const names = await readdir(join(root, dir)).catch(() => undefined);
    if (names === undefined) continue;
    found = true;
    for (const name of names) {
      if (!name.endsWith('.service') || units.has(name)) continue;
      const p = join(root, dir, name);
      const st = await lstat(p).catch(() => undefined);
      if (st === undefined) continue;
      if (st.isSymbolicLink()) {
        const target = await readlink(p).catch(() => '');
        if (target === '/dev/null') {
          units.set(name, { name, enabled: false, state: 'masked' });
          continue;
        }
        if (basename(target) !== name) continue;
      } else if (!st.isFile()) continue;
      const template = name.endsWith('@.service') ? name.slice(0, -'.service'.length) : undefined;
      const enabled = wanted.has(name) || (template !== undefined && [...wanted].some((w) => w.startsWith(template)));
      units.set(name, { name: name.slice(0, 256), enabled });
    }
  }
  return { services: [...units.values()].sort((a, b) => a.name.localeCompare(b.name)), found };
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

async function packages(root: string, notes: string[]): Promise<Package[]> {
  const status = await readBounded(join(root, 'var/lib/dpkg/status'));
  if (status !== undefined) return parseDpkgStatus(status);
  // rpm's database is a Berkeley DB / SQLite file that needs librpm or the rpm binary to read.
  if ((await exists(join(root, 'var/lib/rpm'))) || (await exists(join(root, 'usr/lib/sysimage/rpm')))) {
    notes.push('packages: rpm-based host; only dpkg (Debian/Ubuntu) package databases are read');
  } else notes.push('packages: no dpkg status database (/var/lib/dpkg/status) on this host');
  return [];
}

function capped<T>(list: T[], max: number, part: string, notes: string[]): T[] {
  if (list.length <= max) return list;
  notes.push(`${part}: ${list.length} found, only the first ${max} are reported`);
  return list.slice(0, max);
}

export interface InventoryOptions {
  /** Root of the file system to read ('/' on a host; a fake tree in tests). */
  root?: string;
}

/** The inventory task: read-only, no tools, each part from its files; what cannot be known is a note. */
export async function runInventory(params: TaskParams<'inventory'>, ctx: RunnerContext, opts: InventoryOptions = {}): Promise<InventoryResult> {
  const root = opts.root ?? '/';
  const include = new Set(params.include);
  const notes: string[] = [];
  const result: InventoryResult = {};
  const check = (): void => {
    if (ctx.signal.aborted) throw abortError(ctx.signal, 'inventory');
  };
  if (include.has('packages')) result.packages = capped(await packages(root, notes), MAX_PACKAGES, 'packages', notes);
  check();
  if (include.has('services')) {
    const { services, found } = await listServices(root);
    if (!found) notes.push('services: no systemd unit directories on this host');
    result.services = capped(services, MAX_SERVICES, 'services', notes);
  }
  check();
  if (include.has('users')) {
    const passwd = await readBounded(join(root, 'etc/passwd'));
    if (passwd === undefined) notes.push('users: /etc/passwd not found');
    result.users = capped(parsePasswd(passwd ?? ''), MAX_USERS, 'users', notes);
  }
  check();
  if (include.has('sockets')) {
    const { sockets, truncated } = await listeningSockets(root);
    if (truncated) notes.push('sockets: more than 10000 listening sockets, the rest are not reported');
    result.sockets = sockets;
  }
  if (notes.length > 0) result.notes = notes.slice(0, 16);
  return result;
}
