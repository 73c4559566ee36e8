import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { AgentIdSchema, Ed25519KeySchema } from '@dio/protocol';
import { writePrivateFile } from '../shared/private-file.js';
import { generateEd25519, rawPublicKey } from '../shared/agent-signature.js';
import { AppError } from '../shared/app-error.js';

/**
 * The agent's identity on disk, in its state directory (mode 0700):
 *   agent.key        Ed25519 private key (PKCS#8 PEM, 0600) — never leaves the host
 *   enrollment.json  agent id, server URL, and the server's task-signing key pinned at enrollment
 */
export const KEY_FILE = 'agent.key';
export const ENROLLMENT_FILE = 'enrollment.json';

export const EnrollmentStateSchema = z
  .object({ agent_id: AgentIdSchema, server: z.string().url(), server_key: Ed25519KeySchema, enrolled_at: z.string() })
  .strict();
export type EnrollmentState = z.infer<typeof EnrollmentStateSchema>;

export function ensureStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // An existing directory keeps its mode; the key lives here, so tighten it.
  chmodSync(dir, 0o700);
}

/** Loads the key pair, creating it on first use. */
export function loadOrCreateKey(dir: string): { privateKey: KeyObject; publicKey: string } {
  const path = join(dir, KEY_FILE);
  let pem: string | undefined;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new AppError('agent.state', `cannot read ${path}: ${(e as Error).message}`, { status: 500 });
  }
  if (pem === undefined) {
    const { privateKey } = generateEd25519();
    pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    writePrivateFile(path, pem);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (e) {
    throw new AppError('agent.state', `${path} is not a valid private key (${(e as Error).message}); move it away to enroll afresh`, { status: 500 });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new AppError('agent.state', `${path} is not an Ed25519 key`, { status: 500 });
  return { privateKey, publicKey: rawPublicKey(createPublicKey(privateKey)) };
}

export function readEnrollment(dir: string): EnrollmentState | undefined {
  const path = join(dir, ENROLLMENT_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = EnrollmentStateSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new AppError('agent.state', `${path} is damaged (${parsed.error.issues[0]?.message}); remove it to enroll again`, { status: 500 });
  return parsed.data;
}

export function writeEnrollment(dir: string, s: EnrollmentState): void {
  writePrivateFile(join(dir, ENROLLMENT_FILE), `${JSON.stringify(s, null, 2)}\n`);
}

/**
 * Stable id of this host: its hostname plus 8 hex of sha256(machine-id, hostname), so two hosts
 * cloned from one image (same hostname) still differ once systemd gives them machine ids, and
 * one host keeps its id across re-installs of the agent.
 */
export function defaultAgentId(opts: { machineIdPath?: string; host?: string } = {}): string {
  const host = opts.host ?? hostname();
  let machineId = '';
  for (const p of opts.machineIdPath ? [opts.machineIdPath] : ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      machineId = readFileSync(p, 'utf8').trim();
      if (machineId) break;
    } catch {
      // try the next place
    }
  }
  const name = host.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 100) || 'host';
  const tag = createHash('sha256').update(`${machineId}\n${host}`).digest('hex').slice(0, 8);
  return `${name}-${tag}`;
}
