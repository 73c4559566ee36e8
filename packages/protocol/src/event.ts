import { z } from 'zod';

/**
 * Event: one observation (a log line, later a flow or a telemetry sample), with ECS field names
 * (https://www.elastic.co/guide/en/ecs/current) so SIEM export, Sigma field mapping and analyst
 * habits carry over. Only fields DIO fills are declared; `labels` carries the rest as strings.
 * Non-ECS facts DIO derives live under the custom `dio` namespace, as ECS asks of custom fields.
 */
export const IP_CLASSES = ['public', 'private', 'loopback', 'link_local', 'reserved', 'multicast', 'documentation', 'cgnat', 'unspecified'] as const;
export const IpClassSchema = z.enum(IP_CLASSES);
export type IpClass = z.infer<typeof IpClassSchema>;

const Str = z.string().max(4096);
const Port = z.number().int().min(0).max(65535);

export const GeoSchema = z
  .object({
    country_iso_code: z.string().length(2).optional(),
    country_name: Str.optional(),
    city_name: Str.optional(),
    region_name: Str.optional(),
    location: z.object({ lat: z.number(), lon: z.number() }).strict().optional(),
  })
  .strict();

export const EndpointSchema = z
  .object({
    ip: z.string().max(64).optional(),
    port: Port.optional(),
    address: Str.optional(),
    domain: Str.optional(),
    bytes: z.number().int().nonnegative().optional(),
    packets: z.number().int().nonnegative().optional(),
    geo: GeoSchema.optional(),
    as: z
      .object({ number: z.number().int().nonnegative().optional(), organization: z.object({ name: Str.optional() }).strict().optional() })
      .strict()
      .optional(),
  })
  .strict();

export const EVENT_KINDS = ['event', 'alert', 'metric', 'state', 'signal', 'pipeline_error'] as const;
export const EVENT_OUTCOMES = ['success', 'failure', 'unknown'] as const;

export const EventSchema = z
  .object({
    '@timestamp': z.iso.datetime({ offset: true }),
    message: z.string().max(65536).optional(),
    event: z
      .object({
        kind: z.enum(EVENT_KINDS),
        category: z.array(z.string().max(64)).max(8).optional(),
        type: z.array(z.string().max(64)).max(8).optional(),
        action: z.string().max(128).optional(),
        outcome: z.enum(EVENT_OUTCOMES).optional(),
        dataset: z.string().max(128).optional(),
        module: z.string().max(64).optional(),
        provider: z.string().max(128).optional(),
        reason: Str.optional(),
        original: z.string().max(65536).optional(),
        ingested: z.iso.datetime({ offset: true }).optional(),
      })
      .strict(),
    source: EndpointSchema.optional(),
    destination: EndpointSchema.optional(),
    user: z.object({ name: Str.optional(), id: Str.optional() }).strict().optional(),
    process: z.object({ name: Str.optional(), pid: z.number().int().nonnegative().optional() }).strict().optional(),
    host: z.object({ hostname: Str.optional(), name: Str.optional(), ip: z.array(z.string().max(64)).max(64).optional() }).strict().optional(),
    observer: z.object({ hostname: Str.optional(), type: Str.optional(), name: Str.optional() }).strict().optional(),
    url: z.object({ original: z.string().max(16384).optional(), path: z.string().max(16384).optional(), query: z.string().max(16384).optional() }).strict().optional(),
    http: z
      .object({
        version: z.string().max(16).optional(),
        request: z.object({ method: z.string().max(32).optional(), referrer: Str.optional(), bytes: z.number().int().nonnegative().optional() }).strict().optional(),
        response: z.object({ status_code: z.number().int().min(100).max(999).optional(), bytes: z.number().int().nonnegative().optional() }).strict().optional(),
      })
      .strict()
      .optional(),
    user_agent: z.object({ original: Str.optional() }).strict().optional(),
    network: z.object({ transport: z.string().max(16).optional(), protocol: z.string().max(32).optional(), bytes: z.number().int().nonnegative().optional(), packets: z.number().int().nonnegative().optional() }).strict().optional(),
    log: z
      .object({
        level: z.string().max(32).optional(),
        file: z.object({ path: Str.optional() }).strict().optional(),
        offset: z.number().int().nonnegative().optional(),
        syslog: z
          .object({
            facility: z.object({ code: z.number().int().min(0).max(23) }).strict().optional(),
            severity: z.object({ code: z.number().int().min(0).max(7) }).strict().optional(),
            priority: z.number().int().min(0).max(191).optional(),
            hostname: Str.optional(),
            appname: Str.optional(),
            procid: Str.optional(),
            msgid: Str.optional(),
            version: z.string().max(4).optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    error: z.object({ message: Str.optional() }).strict().optional(),
    labels: z.record(z.string().max(128), z.string().max(4096)).optional(),
    /** DIO's own derived fields (custom ECS namespace). */
    dio: z
      .object({
        source_class: IpClassSchema.optional(),
        destination_class: IpClassSchema.optional(),
        /** Id of the acquisition source that produced this event (e.g. "file:/var/log/auth.log"). */
        input: z.string().max(512).optional(),
        /** Agent that shipped the event, when it came through ingest. */
        agent_id: z.string().max(128).optional(),
        /** Parser that produced it (content name). */
        parser: z.string().max(128).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type DioEvent = z.infer<typeof EventSchema>;

/** Batch ingest body (agents and API clients). Bounded so one request cannot exhaust memory. */
export const MAX_INGEST_BATCH = 5000;
export const IngestBatchSchema = z
  .object({
    /** Idempotency key: a batch with a key already stored is acknowledged, not stored twice. */
    batch_id: z.string().min(8).max(128).regex(/^[A-Za-z0-9._:-]+$/).optional(),
    events: z.array(EventSchema).min(1).max(MAX_INGEST_BATCH),
  })
  .strict();
export type IngestBatch = z.infer<typeof IngestBatchSchema>;
