import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * The API's own Prometheus series, registered on the process registry from `deps.metrics`.
 * Get-or-create, because tests (and a future multi-listener setup) build several apps on one
 * registry and prom-client refuses to register a name twice.
 */
export function createApiMetrics(registry: Registry) {
  const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
    (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
  const gauge = <L extends string>(name: string, help: string, labelNames: L[]): Gauge<L> =>
    (registry.getSingleMetric(name) as Gauge<L> | undefined) ?? new Gauge({ name, help, labelNames, registers: [registry] });

  return {
    httpRequests: counter('dio_http_requests_total', 'HTTP requests answered, per method, route pattern and status', ['method', 'route', 'status']),
    streamClients: gauge('dio_stream_clients', 'Connected live stream clients, per transport (sse, ws)', ['transport']),
    streamDisconnects: counter(
      'dio_stream_clients_dropped_total',
      'Live stream clients the server disconnected or refused, per transport and reason (slow, limit, error)',
      ['transport', 'reason'],
    ),
    streamMessages: counter('dio_stream_messages_total', 'Messages fanned out on the live stream, per type', ['type']),
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;
