import { z } from 'zod';
import { IpOrCidrSchema, LabelsSchema } from '@dio/protocol';
import { AgentTaskPolicySchema } from '../agent/tasks/policy.js';
import { AnomalyConfigSchema } from '../fleet/anomaly-detector-config.js';

const HostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080');
const Duration = z.string().regex(/^\d+(s|m|h|d|w)$/, 'expected a duration like 30s, 15m, 4h, 7d');

export const FileSourceSchema = z
  .object({
    type: z.literal('file'),
    path: z.string().min(1),
    /** Parser family: auto (per line), sshd, nginx, apache, syslog. */
    parser: z.string().default('auto'),
    /** Where to start a file never seen before; a stored offset always wins. */
    start_at: z.enum(['end', 'beginning']).default('end'),
  })
  .strict();

export const SyslogSourceSchema = z
  .object({
    type: z.literal('syslog'),
    udp: HostPort.optional(),
    tcp: HostPort.optional(),
    parser: z.string().default('auto'),
  })
  .strict()
  .refine((s) => s.udp || s.tcp, { message: 'a syslog source needs udp or tcp (HOST:PORT)' });

export const SourceSchema = z.discriminatedUnion('type', [FileSourceSchema, SyslogSourceSchema]);
export type SourceConfig = z.infer<typeof SourceSchema>;

/** The whole configuration. Every key has a default, so an empty dio.yaml is valid. */
export const ConfigSchema = z
  .object({
    data_dir: z.string().default('./data'),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    content_dir: z.string().optional().describe('defaults to the content/ folder shipped with DIO'),
    api: z
      .object({
        listen: HostPort.default('127.0.0.1:8080'),
        /** Listening beyond loopback needs this: agents on other hosts must reach the API (put TLS in front). */
        allow_remote: z.boolean().default(false),
        /** Serve /docs (the OpenAPI description) without authentication. */
        public_docs: z.boolean().default(false),
        body_limit_bytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(10 * 1024 * 1024),
        /** Ingest batches processed at once; more get 503 + Retry-After before their body is read (agents resend from their spool). */
        ingest_max_in_flight: z.number().int().min(1).max(1024).default(4),
      })
      .strict()
      .prefault({}),
    sources: z.array(SourceSchema).max(256).optional().describe('defaults to /var/log/auth.log when readable'),
    geoip: z
      .object({
        country_db: z.string().default('bundled').describe("'bundled', 'none' or a path to an .mmdb"),
        city_db: z.string().optional(),
        asn_db: z.string().optional(),
      })
      .strict()
      .prefault({}),
    detect: z
      .object({
        max_buckets: z.number().int().min(1000).max(50_000_000).default(1_000_000),
        scenarios: z.array(z.string()).optional().describe('names of scenarios to enable (default: all)'),
      })
      .strict()
      .prefault({}),
    decide: z
      .object({
        simulation: z.boolean().default(false),
        allowlist: z.array(IpOrCidrSchema).max(100_000).default([]),
      })
      .strict()
      .prefault({}),
    respond: z
      .object({
        firewall: z.enum(['dry-run', 'nftables', 'iptables']).default('dry-run'),
        nft_table: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/).default('dio'),
        /** Apply bans inside this network namespace (`ip netns exec NAME …`), e.g. a container's. */
        netns: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a network namespace name').optional(),
        /** Read the set back after every change and record the result. */
        verify: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    store: z
      .object({
        path: z.string().optional().describe('defaults to <data_dir>/dio.db'),
        event_retention: Duration.default('7d'),
        store_events: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        access_ttl: Duration.default('15m'),
        refresh_ttl: Duration.default('30d'),
        /** Consecutive failed logins before an account locks. */
        lockout_after: z.number().int().min(1).max(100).default(5),
        lockout_duration: Duration.default('15m'),
        login_attempts_per_minute: z.number().int().min(1).max(10_000).default(10),
        /** Name of the admin created on first start. */
        admin_user: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/).default('admin'),
        /** File holding the first admin's password (else DIO_ADMIN_PASSWORD, else one is generated and printed once). */
        admin_password_file: z.string().optional(),
      })
      .strict()
      .prefault({}),
    agents: z
      .object({
        heartbeat_interval: Duration.default('30s'),
        telemetry_interval: Duration.default('10s'),
        offline_after: Duration.default('5m'),
        /** Signed agent requests whose clock differs more than this are refused. */
        max_clock_skew: Duration.default('5m'),
        telemetry_raw_retention: Duration.default('24h'),
        telemetry_retention: Duration.default('30d'),
        /** How long the decision change log is kept; agents further behind resynchronise. */
        decision_log_retention: Duration.default('7d'),
        /** Telemetry anomaly detection: absolute thresholds and learned baselines per agent. */
        anomaly: AnomalyConfigSchema.prefault({}),
      })
      .strict()
      .prefault({}),
    agent: z
      .object({
        /** The DIO server this agent reports to, e.g. http://10.0.0.5:8080. */
        server: z.string().url().optional(),
        /** Keys, spool, offsets and cursors live here (default <data_dir>/agent). */
        state_dir: z.string().optional(),
        /** Default: <hostname>-<hash of /etc/machine-id and hostname>. */
        id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/).optional(),
        labels: LabelsSchema.default({}),
        /** Log files to tail and ship. */
        sources: z
          .array(z.object({ path: z.string().min(1), parser: z.string().default('auto'), /** For a file never seen before; a stored offset always wins. */ start_at: z.enum(['end', 'beginning']).default('end') }).strict())
          .max(256)
          .default([]),
        /** Never enforced on this host, whatever the server decides (loopback always is). */
        allowlist: z.array(IpOrCidrSchema).max(100_000).default([]),
        /** Enforce the server's decisions on this host's firewall (respond.* picks the adapter). */
        bouncer: z.boolean().default(true),
        telemetry: z.boolean().default(true),
        spool_max_bytes: z.number().int().min(1024 * 1024).max(64 * 1024 * 1024 * 1024).default(256 * 1024 * 1024),
        tasks: AgentTaskPolicySchema.prefault({}),
      })
      .strict()
      .prefault({}),
    limits: z
      .object({
        max_line_bytes: z.number().int().min(256).max(1024 * 1024).default(16384),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type DioConfig = z.infer<typeof ConfigSchema>;
