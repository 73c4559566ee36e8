import { z } from 'zod';
import {
  AgentIdSchema,
  CapabilitySchema,
  Ed25519KeySchema,
  HostInfoSchema,
  LabelsSchema,
  LoadSummarySchema,
  RoleSchema,
  TaskEnvelopeSchema,
  TaskIdSchema,
  TaskStatusSchema,
  TaskTypeSchema,
  UsernameSchema,
} from '@dio/protocol';
import { AppError, errorMessage } from '../../shared/app-error.js';
import { invalidInput, searchable } from './query-helpers.js';

/**
 * Schemas of the records the auth and fleet sub-stores accept (port-auth.ts, port-agents.ts),
 * built from the protocol's own pieces where one exists, and the checks shared by their query
 * modules. Inputs are only checked: what is stored is the caller's object, not zod's output.
 */

/** Text kept in its own column must survive both dialects unchanged (PostgreSQL refuses NUL). */
export const columnText = (max: number, min = 1) =>
  z
    .string()
    .min(min)
    .max(max)
    .refine((s) => searchable(s) === s, { message: 'well-formed text without NUL' });

const Id = columnText(64);
/** zod 4's int() is a safe integer, so every time survives the bigint round trip. */
const EpochMs = z.number().int();
const OptEpochMs = EpochMs.nullable();
const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'sha256 hex');
const Count = z.number().int().nonnegative();

export const UserRecordSchema = z
  .object({
    id: Id,
    username: UsernameSchema,
    password_hash: columnText(1024),
    role: RoleSchema,
    disabled: z.boolean(),
    created_at: EpochMs,
    updated_at: EpochMs,
    last_login_at: OptEpochMs,
    failed_logins: Count,
    locked_until: OptEpochMs,
  })
  .strict();
export const UserPatchSchema = UserRecordSchema.pick({ role: true, disabled: true, password_hash: true, last_login_at: true, failed_logins: true, locked_until: true }).partial().strict();

export const RefreshTokenRecordSchema = z.object({ token_hash: Sha256Hex, family_id: Id, user_id: Id, created_at: EpochMs, expires_at: EpochMs }).strict();
export const NextRefreshTokenSchema = RefreshTokenRecordSchema.omit({ family_id: true, user_id: true });

export const ApiKeyRecordSchema = z
  .object({
    id: Id,
    name: columnText(128),
    role: RoleSchema,
    key_hash: Sha256Hex,
    created_by: columnText(256),
    created_at: EpochMs,
    expires_at: OptEpochMs,
    last_used_at: OptEpochMs,
    revoked: z.boolean(),
  })
  .strict();
export const ApiKeyPatchSchema = ApiKeyRecordSchema.pick({ revoked: true, last_used_at: true }).partial().strict();

export const SecretNameSchema = columnText(128);
/** A PEM private key is a few hundred characters; 64 KiB leaves room without inviting blobs. */
export const SecretValueSchema = columnText(64 * 1024);

export const EnrollmentTokenRecordSchema = z
  .object({
    id: Id,
    token_hash: Sha256Hex,
    created_by: columnText(256),
    created_at: EpochMs,
    expires_at: EpochMs,
    max_uses: z.number().int().positive(),
    uses: Count,
    labels: LabelsSchema,
    description: columnText(256, 0).optional(),
    revoked: z.boolean(),
  })
  .strict();

export const AgentRecordSchema = z
  .object({
    id: AgentIdSchema,
    hostname: columnText(255),
    public_key: Ed25519KeySchema,
    key_fingerprint: columnText(64),
    state: z.enum(['active', 'disabled', 'revoked']),
    enrolled_at: EpochMs,
    last_seen_at: OptEpochMs,
    last_address: columnText(64).nullable(),
    heartbeat_interval_s: z.number().int().positive(),
    version: columnText(64, 0),
    capabilities: z.array(CapabilitySchema).max(32),
    labels: LabelsSchema,
    host: HostInfoSchema,
    load: LoadSummarySchema.nullable(),
    silent_since: OptEpochMs,
    token_id: Id,
  })
  .strict();
export const AgentPatchSchema = AgentRecordSchema.omit({ id: true, enrolled_at: true, token_id: true }).partial().strict();

export const TaskRecordSchema = z
  .object({
    id: TaskIdSchema,
    type: TaskTypeSchema,
    params: z.record(z.string(), z.unknown()),
    agent_id: AgentIdSchema,
    status: TaskStatusSchema,
    created_at: EpochMs,
    created_by: columnText(256),
    expires_at: EpochMs,
    /** Tasks may run 6 h (NewTaskSchema); 7 days bounds timeout_s * 1000 within a 32-bit integer on PostgreSQL. */
    timeout_s: z.number().int().positive().max(7 * 86400),
    started_at: OptEpochMs,
    finished_at: OptEpochMs,
    error: columnText(4096, 0).nullable(),
    result: z.unknown().optional(),
    findings: Count,
    envelope: TaskEnvelopeSchema,
  })
  .strict();
export const TaskPatchSchema = TaskRecordSchema.pick({ status: true, started_at: true, finished_at: true, error: true, result: true, findings: true }).partial().strict();

/** Series names are TELEMETRY_SERIES plus cpu_core_N; 2048 keys covers 1024 cores twice over. */
const Series = z.record(z.string().min(1).max(64), z.number()).refine((r) => Object.keys(r).length <= 2048, { message: 'at most 2048 series' });
export const TelemetryRowSchema = z
  .object({
    agent_id: AgentIdSchema,
    ts: EpochMs,
    resolution_s: z.number().int().positive().max(366 * 86400),
    avg: Series,
    max: Series,
    sample: z.unknown().optional(),
  })
  .strict();

/** Throws `store.invalid_input` naming the first issue when `v` does not fit `schema`. */
export function check(schema: z.ZodType, v: unknown, what: string): void {
  const r = schema.safeParse(v);
  if (!r.success) throw invalidInput(what, r.error);
}

/** JSON text of a value bounded to `max` characters; undefined and null are both stored as NULL. */
export function jsonText(v: unknown, what: string, max: number): string | null {
  if (v === undefined || v === null) return null;
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch (e) {
    throw new AppError('store.invalid_input', `store: ${what} is not JSON-serialisable: ${errorMessage(e)}`, { status: 400, cause: e });
  }
  if (s === undefined) throw new AppError('store.invalid_input', `store: ${what} is not JSON-serialisable`, { status: 400 });
  if (s.length > max) throw new AppError('store.invalid_input', `store: ${what} is larger than ${max} characters`, { status: 400 });
  return s;
}

export function fromJsonText(s: string | null): unknown {
  return s === null ? null : JSON.parse(s);
}

/** A unique or primary key violation, as SQLite (better-sqlite3) and PostgreSQL (pg, SQLSTATE 23505) report it. */
export function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}

/** Runs an insert, turning a unique violation into `store.conflict` (409) that says what exists. */
export async function orConflict<T>(run: Promise<T>, what: string): Promise<T> {
  try {
    return await run;
  } catch (e) {
    if (isUniqueViolation(e)) throw new AppError('store.conflict', `store: ${what} already exists`, { status: 409, cause: e });
    throw e;
  }
}

/** A time the store writes into a bigint column: must be a safe integer (PostgreSQL refuses 1.5). */
export function storedTime(v: number, what: string): number {
  if (!Number.isSafeInteger(v)) throw new AppError('store.invalid_input', `store: ${what} must be integer epoch milliseconds`, { status: 400 });
  return v;
}

/** A patch without its undefined entries: `{ load: undefined }` means "leave load alone". */
export function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export const toBool = (v: number | string | boolean): boolean => Number(v) === 1;
export const toNumOrNull = (v: number | string | null): number | null => (v === null ? null : Number(v));
