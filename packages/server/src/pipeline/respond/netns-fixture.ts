import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { runCommand } from './exec.js';

/**
 * Test support: throw-away network namespaces so firewall tests never touch the host's rules or
 * interfaces. Everything here is created inside namespaces the test owns and removed with them.
 */

/** Why firewall tests cannot run here (a skip message), or false when they can. */
export async function netnsSkipReason(tools: readonly string[]): Promise<string | false> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return `needs root and ${tools.join(', ')} (running unprivileged)`;
  for (const t of tools) {
    try {
      await runCommand({ file: t, args: t === 'ip' ? ['-V'] : t === 'ipset' ? ['version'] : ['--version'] }, { timeoutMs: 10_000 });
    } catch {
      return `needs root and ${t} (not installed)`;
    }
  }
  const probe = `dio-test-probe-${randomBytes(3).toString('hex')}`;
  try {
    await runCommand({ file: 'ip', args: ['netns', 'add', probe] }, { timeoutMs: 10_000 });
  } catch {
    return 'needs `ip netns` (cannot create network namespaces here)';
  }
  await deleteNetns(probe);
  return false;
}

/** Creates `dio-test-<tag>-<random>` with loopback up; returns its name. */
export async function createNetns(tag: string): Promise<string> {
  const name = `dio-test-${tag}-${randomBytes(4).toString('hex')}`;
  await runCommand({ file: 'ip', args: ['netns', 'add', name] });
  await runCommand({ file: 'ip', args: ['-n', name, 'link', 'set', 'lo', 'up'] });
  return name;
}

/** Deletes a namespace (and with it its veth ends, rules and sets); absent is fine. */
export async function deleteNetns(name: string): Promise<void> {
  await runCommand({ file: 'ip', args: ['netns', 'del', name] }, { okCodes: [0, 1, 2] });
}

export interface VethLink {
  serverV4: string;
  clientV4: string;
  serverV6: string;
  clientV6: string;
}

/**
 * Joins two namespaces with a veth pair created directly inside them (never in the host's
 * namespace), addressed from 10.200.N.0/30 and the ULA fd00:d10:0:N::/64.
 */
export async function linkNetns(server: string, client: string): Promise<VethLink> {
  const n = randomBytes(1)[0]!;
  const ip = (...args: string[]) => runCommand({ file: 'ip', args });
  const link: VethLink = { serverV4: `10.200.${n}.1`, clientV4: `10.200.${n}.2`, serverV6: `fd00:d10:0:${n.toString(16)}::1`, clientV6: `fd00:d10:0:${n.toString(16)}::2` };
  await ip('-n', server, 'link', 'add', 'dio-s', 'type', 'veth', 'peer', 'name', 'dio-c', 'netns', client);
  await ip('-n', server, 'addr', 'add', `${link.serverV4}/30`, 'dev', 'dio-s');
  await ip('-n', client, 'addr', 'add', `${link.clientV4}/30`, 'dev', 'dio-c');
  // nodad: the addresses are usable at once instead of after duplicate detection (~2 s)
  await ip('-n', server, 'addr', 'add', `${link.serverV6}/64`, 'dev', 'dio-s', 'nodad');
  await ip('-n', client, 'addr', 'add', `${link.clientV6}/64`, 'dev', 'dio-c', 'nodad');
  await ip('-n', server, 'link', 'set', 'dio-s', 'up');
  await ip('-n', client, 'link', 'set', 'dio-c', 'up');
  return link;
}

const SERVER_JS = `
const net = require('node:net');
const srv = net.createServer((s) => { s.on('error', () => {}); s.end('hi'); });
srv.listen({ port: Number(process.argv[1]), host: '::', ipv6Only: false }, () => process.stdout.write('ready\\n'));
`;

const CLIENT_JS = `
const net = require('node:net');
const [host, port, ms] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port) });
const done = (ok) => { process.stdout.write(ok ? 'ok' : 'fail'); process.exit(0); };
s.setTimeout(Number(ms), () => done(false));
s.on('data', () => done(true));
s.on('error', () => done(false));
`;

export interface TcpServer {
  port: number;
  stop(): void;
}

/** A TCP server on [::]:port (IPv4 too) inside `ns` that greets and closes each connection. */
export function startTcpServer(ns: string, port = 7000 + (randomBytes(2).readUInt16BE(0) % 1000)): Promise<TcpServer> {
  const child: ChildProcess = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER_JS, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error('test TCP server did not start within 20 s'));
    }, 20_000);
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout!.on('data', (b: Buffer) => {
      if (b.toString().includes('ready')) {
        clearTimeout(timer);
        resolve({ port, stop });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`test TCP server exited (${code}): ${err}`));
    });
  });
}

/** Whether a TCP connection from `ns` to host:port gets the greeting within `timeoutMs`. */
export async function canConnect(ns: string, host: string, port: number, timeoutMs: number): Promise<boolean> {
  const r = await runCommand(
    { file: 'ip', args: ['netns', 'exec', ns, process.execPath, '-e', CLIENT_JS, host, String(port), String(timeoutMs)] },
    { timeoutMs: timeoutMs + 30_000 },
  );
  return r.stdout.trim() === 'ok';
}

/** Polls `check` until it returns true or `withinMs` passes (generous: CI machines are loaded). */
export async function eventually(check: () => Promise<boolean>, withinMs: number, everyMs = 250): Promise<boolean> {
  const end = Date.now() + withinMs;
  while (true) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
