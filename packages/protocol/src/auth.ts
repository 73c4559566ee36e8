import { z } from 'zod';

/**
 * Users, roles, tokens and the audit trail as the API shows them. Secrets (passwords, refresh
 * tokens, API keys) appear only in the request or the one response that creates them.
 */
export const ROLES = ['admin', 'analyst', 'viewer'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

/**
 * Every permission a route can require. `agent:self` is held only by enrolled agents and covers
 * the agent channel (heartbeat, telemetry, ingest of its own events, its tasks and decisions).
 */
export const PERMISSIONS = [
  'alerts:read',
  'alerts:write',
  'decisions:read',
  'decisions:write',
  'events:read',
  'events:write',
  'agents:read',
  'agents:write',
  'tasks:read',
  'tasks:write',
  'users:read',
  'users:write',
  'audit:read',
  'system:read',
  'agent:self',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Who may do what. Agents hold `agent:self` and `events:write` (their own events only). */
export const ROLE_PERMISSIONS: Readonly<Record<Role | 'agent', readonly Permission[]>> = Object.freeze({
  admin: PERMISSIONS.filter((p) => p !== 'agent:self'),
  analyst: ['alerts:read', 'alerts:write', 'decisions:read', 'decisions:write', 'events:read', 'events:write', 'agents:read', 'tasks:read', 'tasks:write', 'system:read'],
  viewer: ['alerts:read', 'decisions:read', 'events:read', 'agents:read', 'tasks:read', 'system:read'],
  agent: ['agent:self', 'events:write'],
});

export const UsernameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'user name: 1-64 of A-Z a-z 0-9 . _ @ - (starting with a letter or digit)');
/** Length only: 12-1024 characters (long passphrases beat composition rules). */
export const PasswordSchema = z.string().min(12, 'at least 12 characters').max(1024);

export const LoginRequestSchema = z.object({ username: UsernameSchema, password: z.string().min(1).max(1024) }).strict();
export const RefreshRequestSchema = z.object({ refresh_token: z.string().min(16).max(256) }).strict();

export const TokenResponseSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    /** Seconds until the access token expires. */
    expires_in: z.number().int().positive(),
    /** Single use: each refresh returns a new one; reusing an old one revokes the whole session. */
    refresh_token: z.string(),
    refresh_expires_in: z.number().int().positive(),
    user: z.object({ id: z.string(), username: z.string(), role: RoleSchema }).strict(),
  })
  .strict();
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

export const UserSchema = z
  .object({
    id: z.string().max(64),
    username: UsernameSchema,
    role: RoleSchema,
    disabled: z.boolean(),
    created_at: z.iso.datetime({ offset: true }),
    updated_at: z.iso.datetime({ offset: true }),
    last_login_at: z.iso.datetime({ offset: true }).nullable(),
    locked_until: z.iso.datetime({ offset: true }).nullable(),
  })
  .strict();
export type User = z.infer<typeof UserSchema>;

export const NewUserSchema = z.object({ username: UsernameSchema, password: PasswordSchema, role: RoleSchema.default('viewer') }).strict();
export const UserPatchSchema = z
  .object({ role: RoleSchema.optional(), disabled: z.boolean().optional(), password: PasswordSchema.optional() })
  .strict()
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to change' });
/** A user changing their own password proves they know the current one. */
export const PasswordChangeSchema = z.object({ current_password: z.string().min(1).max(1024), new_password: PasswordSchema }).strict();

export const ApiKeySchema = z
  .object({
    id: z.string().max(64),
    name: z.string().max(128),
    role: RoleSchema,
    created_at: z.iso.datetime({ offset: true }),
    created_by: z.string().max(256),
    expires_at: z.iso.datetime({ offset: true }).nullable(),
    last_used_at: z.iso.datetime({ offset: true }).nullable(),
    revoked: z.boolean(),
  })
  .strict();
export type ApiKey = z.infer<typeof ApiKeySchema>;
export const NewApiKeySchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'key name: 1-128 of A-Z a-z 0-9 . _ -'),
    role: RoleSchema.default('viewer'),
    expires: z.union([z.number().int().min(60), z.string().regex(/^\d+(s|m|h|d|w)$/)]).optional(),
  })
  .strict();
/** The key itself appears only here. */
export const CreatedApiKeySchema = ApiKeySchema.extend({ key: z.string() }).strict();

/** Who is calling, as GET /api/v1/auth/me tells it. */
export const WhoAmISchema = z
  .object({ kind: z.enum(['user', 'apikey', 'agent']), id: z.string(), name: z.string(), role: z.string(), permissions: z.array(z.string()) })
  .strict();

export const AuditRecordSchema = z
  .object({
    seq: z.number().int().positive(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    target: z.string(),
    origin: z.string(),
    before: z.unknown().optional(),
    after: z.unknown().optional(),
    prev_hash: z.string(),
    hash: z.string(),
  })
  .strict();

export const AuditFilterSchema = z
  .object({
    /** Records after this sequence number (oldest first), for walking the chain page by page. */
    since_seq: z.coerce.number().int().nonnegative().optional(),
    actor: z.string().max(512).optional(),
    action: z.string().max(512).optional(),
    /** Exact target ("decision:…") or a prefix ending in ':' ("agent:"). */
    target: z.string().max(512).optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(100),
  })
  .strict();
export type AuditFilter = z.infer<typeof AuditFilterSchema>;

export const AuditVerifySchema = z
  .object({
    ok: z.boolean(),
    records: z.number().int().nonnegative(),
    head: z.object({ seq: z.number().int().nonnegative(), hash: z.string() }).strict(),
    /** seq of the first record that fails, when not ok. */
    broken_at: z.number().int().optional(),
    reason: z.string().optional(),
  })
  .strict();
