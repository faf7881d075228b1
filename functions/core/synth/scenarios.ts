/**
 * The scenario library: named, documented test scenarios as JSON specs, validated with clear
 * errors, and expanded into the generator's incidents (with ground truth from {@link labelsFor}).
 * A custom spec is the same JSON with `incidents` written out.
 *
 * ```json
 * { "scenario": "error-burst", "start": "2026-11-16T15:30:00Z", "durationMinutes": 10,
 *   "partitions": ["checkout#us-east-1"], "magnitude": 0.3 }
 * ```
 */
import { z } from 'zod';
import { DEFAULT_MAGNITUDE, INCIDENT_KINDS, INCIDENT_SHAPES, validateIncidents, type IncidentKind, type IncidentShape, type IncidentSpec } from './incidents';

const MINUTE = 60_000;

/** One entry of the library. */
export interface ScenarioTemplate {
  description: string;
  kind: IncidentKind;
  shape: IncidentShape;
  /** Default strength (meaning per kind, see incidents.ts). */
  magnitude: number;
  /** Default length, minutes. */
  durationMinutes: number;
  /** Partitions start one after another, this many minutes apart (correlated outages). Default 0. */
  staggerMinutes?: number;
}

/** The named scenarios. */
export const SCENARIOS = {
  'high-load': { description: 'traffic × k for the whole stretch (a sale, a retry storm)', kind: 'flood', shape: 'step', magnitude: 3, durationMinutes: 30 },
  'error-burst': { description: 'a share of requests fail with the service’s known errors', kind: 'error_burst', shape: 'step', magnitude: 0.25, durationMinutes: 10 },
  'latency-degradation': { description: 'latency climbs linearly to × magnitude (a saturating dependency)', kind: 'latency', shape: 'ramp', magnitude: 6, durationMinutes: 30 },
  'new-error-template': { description: 'a never-seen error line appears in a share of requests', kind: 'new_error_template', shape: 'step', magnitude: 0.05, durationMinutes: 15 },
  'dependency-outage': {
    description: 'a shared dependency fails: errors with a new template and slow requests, each listed partition a minute after the previous',
    kind: 'error_burst_latency',
    shape: 'step',
    magnitude: 0.25,
    durationMinutes: 12,
    staggerMinutes: 1,
  },
  'silent-service': { description: 'the partition stops logging (volume drops to magnitude, 0 = nothing)', kind: 'silent', shape: 'step', magnitude: 0, durationMinutes: 15 },
  'log-flood': { description: 'volume × 10 (debug logging left on, a loop)', kind: 'flood', shape: 'spike', magnitude: 10, durationMinutes: 20 },
  'slow-burn': { description: 'latency creeps up slowly over hours (memory-leak style)', kind: 'latency', shape: 'ramp', magnitude: 2.5, durationMinutes: 240 },
} as const satisfies Record<string, ScenarioTemplate>;

/** Names of the library's scenarios. */
export type ScenarioName = keyof typeof SCENARIOS;
/** All names, in documentation order. */
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];

const partitionKey = z.string().regex(/^[^#\s]+#[^#\s]+$/, 'a partition is "service#region"');
const time = z.union([z.number().finite(), z.string().refine((s) => Number.isFinite(Date.parse(s)), 'an ISO 8601 time')]);

/** A named scenario run (JSON). */
export const scenarioRequestSchema = z
  .object({
    scenario: z.enum(SCENARIO_NAMES as [ScenarioName, ...ScenarioName[]]),
    start: time,
    durationMinutes: z.number().positive().max(7 * 24 * 60).optional(),
    partitions: z.array(partitionKey).min(1),
    magnitude: z.number().min(0).optional(),
    shape: z.enum(INCIDENT_SHAPES as [IncidentShape, ...IncidentShape[]]).optional(),
  })
  .strict();

/** A custom scenario (JSON): incidents written out. */
export const customScenarioSchema = z
  .object({
    name: z.string().min(1).max(80),
    incidents: z
      .array(
        z
          .object({
            kind: z.enum(INCIDENT_KINDS as [IncidentKind, ...IncidentKind[]]),
            partition: partitionKey,
            start: time,
            durationMinutes: z.number().positive().max(7 * 24 * 60),
            shape: z.enum(INCIDENT_SHAPES as [IncidentShape, ...IncidentShape[]]).optional(),
            magnitude: z.number().min(0).optional(),
            latencyFactor: z.number().positive().optional(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

/** A scenario spec: a named one from the library, or a custom one. */
export type ScenarioSpec = z.infer<typeof scenarioRequestSchema> | z.infer<typeof customScenarioSchema>;

/** A spec that cannot run: the message lists what to fix. */
export class ScenarioSpecError extends Error {
  override readonly name = 'ScenarioSpecError';
}

/** A validated scenario, expanded. */
export interface ResolvedScenario {
  name: string;
  incidents: IncidentSpec[];
  /** First incident start and last incident end, epoch ms. */
  start: number;
  end: number;
}

const toMs = (t: string | number): number => (typeof t === 'number' ? t : Date.parse(t));
const split = (p: string): { service: string; region: string } => {
  const [service, region] = p.split('#');
  return { service, region };
};

function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(spec)'}: ${i.message}`)
    .join('; ');
}

/**
 * Validates a named or custom scenario spec and expands it into incidents.
 * @throws ScenarioSpecError naming each problem (unknown scenario names list the library)
 */
export function resolveScenario(spec: unknown): ResolvedScenario {
  const isCustom = typeof spec === 'object' && spec !== null && 'incidents' in spec;
  let incidents: IncidentSpec[];
  let name: string;
  if (isCustom) {
    const r = customScenarioSchema.safeParse(spec);
    if (!r.success) throw new ScenarioSpecError(`Invalid custom scenario: ${issues(r.error)}.`);
    name = r.data.name;
    incidents = r.data.incidents.map((i) => ({
      kind: i.kind,
      ...split(i.partition),
      start: toMs(i.start),
      durationMs: i.durationMinutes * MINUTE,
      shape: i.shape,
      magnitude: i.magnitude,
      latencyFactor: i.latencyFactor,
    }));
  } else {
    const r = scenarioRequestSchema.safeParse(spec);
    if (!r.success) throw new ScenarioSpecError(`Invalid scenario: ${issues(r.error)}. Library: ${SCENARIO_NAMES.join(', ')}; or give {"name", "incidents": [...]} for a custom one.`);
    const t: ScenarioTemplate = SCENARIOS[r.data.scenario];
    name = r.data.scenario;
    const start = toMs(r.data.start);
    incidents = r.data.partitions.map((p, k) => ({
      kind: t.kind,
      ...split(p),
      start: start + k * (t.staggerMinutes ?? 0) * MINUTE,
      durationMs: (r.data.durationMinutes ?? t.durationMinutes) * MINUTE,
      shape: r.data.shape ?? t.shape,
      magnitude: r.data.magnitude ?? t.magnitude ?? DEFAULT_MAGNITUDE[t.kind],
    }));
  }
  try {
    validateIncidents(incidents);
  } catch (err) {
    throw new ScenarioSpecError(`Scenario ${name}: ${(err as Error).message}.`);
  }
  return {
    name,
    incidents,
    start: Math.min(...incidents.map((i) => i.start)),
    end: Math.max(...incidents.map((i) => i.start + i.durationMs)),
  };
}
