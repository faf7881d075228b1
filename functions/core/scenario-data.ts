/**
 * Scenario runs in the training data (the `scenarioData` flag of retraining and the profile
 * builder). A replayed scenario run puts synthetic traffic through the real pipeline, so the
 * dataset bucket holds windows of its partitions during its stretch. By default (`exclude`) those
 * windows are left out of profiles and training: synthetic traffic must not teach "normal". With
 * `include` the run's clean stretches are kept, and the windows of its labelled incidents are left
 * out of training and, for retraining, become real labelled anomalies in the holdout when they fall
 * in the holdout period. Pure: the runs' manifest.json and labels.json are passed in.
 */
import { z } from 'zod';
import type { HoldoutWindow } from './holdout';
import type { ModelWindow } from './model-contract';
import { INCIDENT_KINDS, type IncidentKind, type IncidentLabel } from './synth/incidents';
import { DEFAULT_GRACE_MS, matchesIncident } from './synth/report';

/** Values of the flag. */
export const SCENARIO_DATA_MODES = ['exclude', 'include'] as const;

/** `exclude` (default): scenario stretches out of training; `include`: clean stretches in, incidents out (and into the holdout). */
export type ScenarioDataMode = (typeof SCENARIO_DATA_MODES)[number];

/** The flag's default. */
export const DEFAULT_SCENARIO_DATA: ScenarioDataMode = 'exclude';

/** The flag has a value it does not take. */
export class ScenarioDataModeError extends Error {
  override readonly name = 'ScenarioDataModeError';
}

/**
 * The flag from a request (undefined: the default).
 * @throws ScenarioDataModeError naming the values it takes
 */
export function scenarioDataMode(value: unknown): ScenarioDataMode {
  if (value === undefined) return DEFAULT_SCENARIO_DATA;
  if (typeof value === 'string' && (SCENARIO_DATA_MODES as readonly string[]).includes(value)) return value as ScenarioDataMode;
  throw new ScenarioDataModeError(`"scenarioData" must be one of ${SCENARIO_DATA_MODES.map((m) => `"${m}"`).join(', ')}, got ${JSON.stringify(value)}`);
}

/** The part of a replayed scenario run that reached the pipeline: its partitions over `[start, end)`, and its ground truth. */
export interface ScenarioStretch {
  runId: string;
  partitions: string[];
  /** Epoch ms. */
  start: number;
  end: number;
  labels: IncidentLabel[];
}

const isoTime = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'must be an ISO time');

/** The fields of manifest.json this reads (the AWS Generate step and the embedded runtime write more). */
const manifestSchema = z.object({
  runId: z.string().min(1),
  replay: z.boolean(),
  start: isoTime,
  end: isoTime,
  partitions: z.array(z.string().min(1)),
});

const labelsSchema = z.array(
  z.object({
    partition: z.string().min(1),
    start: z.number(),
    end: z.number(),
    kind: z.enum(INCIDENT_KINDS as unknown as [IncidentKind, ...IncidentKind[]]),
  }),
);

/**
 * The stretch of a stored run from its manifest.json and labels.json, or null when the run never
 * reached the stream (`replay` false) or its manifest is not one. Unreadable labels count as none.
 */
export function scenarioStretchOf(manifest: unknown, labels: unknown): ScenarioStretch | null {
  const m = manifestSchema.safeParse(manifest);
  if (!m.success || !m.data.replay) return null;
  const l = labelsSchema.safeParse(labels);
  return { runId: m.data.runId, partitions: m.data.partitions, start: Date.parse(m.data.start), end: Date.parse(m.data.end), labels: l.success ? l.data : [] };
}

/** What the flag did to a set of windows. */
export interface ScenarioWindowCounts {
  /** Windows of scenario stretches left out of training. */
  excluded: number;
  /** Windows of scenario runs' clean stretches kept (`include` only). */
  included: number;
  /** Windows of labelled scenario incidents, kept out of training (`include`: candidates for the holdout). */
  incidents: number;
}

/** A window of a labelled scenario incident, with its run and kind. */
export type ScenarioIncidentWindow<T> = T & { scenario: { runId: string; kind: IncidentKind } };

/** Result of {@link splitScenarioWindows}. */
export interface ScenarioSplit<T> {
  /** Windows training may use (every window outside scenario stretches, plus clean stretches with `include`). */
  train: T[];
  /** Windows of labelled incidents (`include` only; empty with `exclude`). */
  incidents: Array<ScenarioIncidentWindow<T>>;
  counts: ScenarioWindowCounts;
}

/**
 * Splits windows by the scenario runs whose stretches they fall in (same partition, window start in
 * `[start, end)`):
 * - outside every stretch: training;
 * - `exclude`: left out;
 * - `include`: a window inside one of the run's labelled incidents (`[label.start, label.end)`)
 *   goes to `incidents`; one in an incident's grace period after its end (the effects may linger,
 *   the label no longer says so) is left out; every other (clean) window is training.
 */
export function splitScenarioWindows<T extends { partition: string; windowStart: number }>(
  windows: readonly T[],
  stretches: readonly ScenarioStretch[],
  mode: ScenarioDataMode,
  graceMs = DEFAULT_GRACE_MS,
): ScenarioSplit<T> {
  const out: ScenarioSplit<T> = { train: [], incidents: [], counts: { excluded: 0, included: 0, incidents: 0 } };
  for (const w of windows) {
    const runs = stretches.filter((s) => w.windowStart >= s.start && w.windowStart < s.end && s.partitions.includes(w.partition));
    if (runs.length === 0) {
      out.train.push(w);
      continue;
    }
    if (mode === 'exclude') {
      out.counts.excluded++;
      continue;
    }
    let incident: { runId: string; kind: IncidentKind } | null = null;
    let lingering = false;
    for (const s of runs) {
      for (const l of s.labels) {
        if (!matchesIncident(l, w, graceMs)) continue;
        if (w.windowStart < l.end) incident ??= { runId: s.runId, kind: l.kind };
        else lingering = true;
      }
    }
    if (incident) {
      out.incidents.push({ ...w, scenario: incident });
      out.counts.incidents++;
    } else if (lingering) out.counts.excluded++;
    else {
      out.train.push(w);
      out.counts.included++;
    }
  }
  return out;
}

/**
 * The stretches of one partition whose windows {@link splitScenarioWindows} leaves out of training
 * (`[start, end)`): the whole run stretches with `exclude`; the incident windows and the grace
 * period after each with `include`. A profile build must not fill their missing minutes as silence.
 */
export function leftOutSpans(partition: string, stretches: readonly ScenarioStretch[], mode: ScenarioDataMode, graceMs = DEFAULT_GRACE_MS): Array<{ start: number; end: number }> {
  const mine = stretches.filter((s) => s.partitions.includes(partition));
  if (mode === 'exclude') return mine.map((s) => ({ start: s.start, end: s.end }));
  // matchesIncident counts a window starting exactly at end + grace: the span ends just after it.
  return mine.flatMap((s) => s.labels.filter((l) => l.partition === partition).map((l) => ({ start: Math.max(s.start, l.start), end: Math.min(s.end, l.end + graceMs + 1) })));
}

/**
 * Holdout rows (label 1) of the scenario incident windows that fall in the holdout period (window
 * start at or after `holdoutStart`): real labelled anomalies next to the injected ones.
 */
export function scenarioHoldoutRows(incidents: ReadonlyArray<ScenarioIncidentWindow<ModelWindow>>, holdoutStart: number): HoldoutWindow[] {
  return incidents
    .filter((w) => w.windowStart >= holdoutStart)
    .map((w) => ({ partition: w.partition, windowStart: w.windowStart, features: { ...w.features }, label: 1 as const, scenario: { ...w.scenario } }));
}
