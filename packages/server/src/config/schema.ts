import { z } from 'zod';
import { IpOrCidrSchema } from '@dio/protocol';

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
        /** Listening beyond loopback needs this, until authentication lands. */
        allow_remote: z.boolean().default(false),
        body_limit_bytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(10 * 1024 * 1024),
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
    limits: z
      .object({
        max_line_bytes: z.number().int().min(256).max(1024 * 1024).default(16384),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type DioConfig = z.infer<typeof ConfigSchema>;
