import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert } from '@dio/protocol';
import { ManualClock } from '../../shared/clock.js';
import { createIdGenerator } from '../../shared/id.js';
import { silentLogger } from '../../shared/logger.js';
import { createMetrics } from '../../shared/metrics.js';
import { createEnricher } from '../enrich/enricher.js';
import { createLinePipeline } from '../line-pipeline.js';
import { loadParsers } from '../parse/load-parsers.js';
import { createDetector } from './detector.js';
import { loadScenarios } from './load-scenarios.js';

/**
 * Scenario golden cases: content/tests/scenarios/<name>/input.log goes through parse → enrich
 * (address classes only, no GeoIP database, so results never depend on a DB version) → detect
 * with every shipped scenario; expected.jsonl holds one summary line per alert, in order.
 * Benign traffic in the same input must add nothing.
 */
export interface ScenarioCase {
  name: string;
  dir: string;
  inputPath: string;
  expectedPath: string;
  /** Parser family for the input (case.json `type`, default auto). */
  type: string;
}

/** Reference time for year-less syslog timestamps in the inputs. */
export const GOLDEN_REFERENCE_TIME = Date.UTC(2026, 11, 1);

export function listScenarioCases(repoRoot: string): ScenarioCase[] {
  const root = join(repoRoot, 'content', 'tests', 'scenarios');
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const dir = join(root, d.name);
      const cfg = existsSync(join(dir, 'case.json')) ? (JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { type?: string }) : {};
      return { name: d.name, dir, inputPath: join(dir, 'input.log'), expectedPath: join(dir, 'expected.jsonl'), type: cfg.type ?? 'auto' };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The stable part of an alert that a golden pins (ids and creation times vary run to run). */
export function alertSummary(a: Alert): string {
  return JSON.stringify({
    scenario: a.scenario,
    severity: a.severity,
    technique: a.technique.id,
    source: a.source.ip ?? null,
    class: a.source.class ?? null,
    count: a.evidence.count,
    first_seen: a.evidence.first_seen,
    last_seen: a.evidence.last_seen,
    distinct: a.evidence.distinct?.count ?? null,
    title: a.title,
  });
}

export async function runScenarioCase(repoRoot: string, c: ScenarioCase): Promise<string[]> {
  const content = join(repoRoot, 'content');
  const [parser, scenarios] = await Promise.all([loadParsers(join(content, 'parsers')), loadScenarios(join(content, 'scenarios'))]);
  const alerts: Alert[] = [];
  const clock = new ManualClock(GOLDEN_REFERENCE_TIME);
  const detector = createDetector({ scenarios, clock, newId: createIdGenerator(() => clock.now()), onAlert: (a) => alerts.push(a) });
  const enricher = createEnricher({ logger: silentLogger() });
  const pipeline = createLinePipeline({ parser, enrich: (ev) => enricher.enrich(ev), detector, metrics: createMetrics(), referenceTime: () => GOLDEN_REFERENCE_TIME });
  const lines = readFileSync(c.inputPath, 'utf8').split('\n').filter((l) => l !== '');
  pipeline.processBatch({ source: `golden:${c.name}`, lines, receivedAt: GOLDEN_REFERENCE_TIME }, c.type);
  return alerts.map(alertSummary);
}
