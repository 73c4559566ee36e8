import type { DioEvent } from '@dio/protocol';
import type { Metrics } from '../shared/metrics.js';
import type { LineBatch } from './acquire/port.js';
import type { LineParser, ParseContext, ParsedEvent } from './parse/port.js';
import type { Enricher } from './enrich/enricher.js';
import type { Detector } from './detect/detector.js';

export interface BatchResult {
  lines: number;
  parsed: number;
  unparsed: number;
  /** The parsed events, when the caller asked to keep them (to store them). */
  events?: DioEvent[];
}

export interface LinePipeline {
  /** parse → enrich → detect, synchronously, for one batch. Alerts leave through the detector's onAlert. */
  processBatch(batch: LineBatch, type: string): BatchResult;
  /** Lines no parser recognised, per source (also exported as the dio_lines_unparsed_total metric). */
  unparsedBySource(): ReadonlyMap<string, number>;
}

/**
 * The synchronous hot path shared by live sources, ingest of raw lines and `dio replay`. Counters
 * are aggregated per batch (prom-client label lookups are too slow per line). A line that fails
 * in any stage is counted and skipped; it never stops the batch.
 */
export function createLinePipeline(deps: {
  parser: LineParser;
  enrich: Enricher['enrich'];
  detector: Detector;
  metrics: Metrics;
  /** Reference time for year-less timestamps; default now. */
  referenceTime?: () => number;
  keepEvents?: boolean;
}): LinePipeline {
  const unparsed = new Map<string, number>();
  const contexts = new Map<string, ParseContext>();
  const refTime = deps.referenceTime ?? Date.now;

  return {
    processBatch(batch, type) {
      const key = `${batch.source}\u0000${type}`;
      let ctx = contexts.get(key);
      if (!ctx) {
        ctx = { source: batch.source, type, referenceTime: refTime() };
        contexts.set(key, ctx);
      } else ctx.referenceTime = refTime();
      const events: DioEvent[] | undefined = deps.keepEvents ? [] : undefined;
      let parsed = 0;
      let bad = 0;
      let errors = 0;
      for (const line of batch.lines) {
        let pe: ParsedEvent | null;
        try {
          pe = deps.parser.parse(line, ctx);
        } catch {
          errors++;
          pe = null;
        }
        if (pe === null) {
          bad++;
          continue;
        }
        parsed++;
        const ev = pe.event;
        if (ev.dio) ev.dio.input = batch.source;
        else ev.dio = { input: batch.source };
        try {
          deps.enrich(ev);
          deps.detector.process(pe);
        } catch {
          errors++;
        }
        events?.push(ev);
      }
      const m = deps.metrics;
      m.linesRead.inc({ source: batch.source }, batch.lines.length);
      if (parsed) m.linesParsed.inc({ source: batch.source }, parsed);
      if (bad) {
        m.linesUnparsed.inc({ source: batch.source }, bad);
        unparsed.set(batch.source, (unparsed.get(batch.source) ?? 0) + bad);
      }
      if (errors) m.eventsDropped.inc({ stage: 'pipeline', reason: 'stage_error' }, errors);
      return { lines: batch.lines.length, parsed, unparsed: bad, events };
    },
    unparsedBySource: () => unparsed,
  };
}
