/**
 * Injected incidents and their ground-truth labels.
 *
 * An incident changes one partition (service × region) during `[start, start + durationMs)`:
 *
 * | kind | effect | `magnitude` (default) |
 * |---|---|---|
 * | `error_burst` | requests fail with the service's known errors | target share of ERROR lines in the partition (0.25) |
 * | `latency` | every latency (and the gaps that follow them) multiplied | factor (5) |
 * | `error_burst_latency` | failures mostly (70%) with the never-seen incident template (e.g. `Connection pool exhausted: timeout after 30000ms waiting for connection to db-2`) plus latency ×`latencyFactor` | target share of ERROR lines (0.25) |
 * | `silent` | the partition stops logging (periodic lines too) | remaining volume fraction (0) |
 * | `flood` | the normal traffic mix multiplied | volume factor (8) |
 * | `new_error_template` | a never-seen error template appears, the rest stays normal | share of requests hitting it (0.05) |
 *
 * `rampMs` (default 0) ramps the effect in linearly from `start`, to exercise early detection.
 * `shape` (default `step`) sets how the strength moves over the incident, see {@link envelope}.
 */

/** How an incident's strength moves over its duration. */
export type IncidentShape = 'step' | 'ramp' | 'spike' | 'drop';

/** All shapes, in documentation order. */
export const INCIDENT_SHAPES: readonly IncidentShape[] = ['step', 'ramp', 'spike', 'drop'];

/**
 * Strength in [0, 1] of an incident at `t` (0 outside `[start, start + durationMs)`):
 * - `step`: full strength at once (after the optional `rampMs` ramp-in) until the end;
 * - `ramp`: grows linearly from 0 to full over the whole duration (degradations, slow burns);
 * - `spike`: reaches full strength in the first 10% of the duration, then decays exponentially
 *   (time constant a quarter of the duration);
 * - `drop`: full strength at once, then fades linearly to 0 by the end (a hit that recovers).
 */
export function envelope(shape: IncidentShape, t: number, start: number, durationMs: number, rampMs = 0): number {
  if (!(durationMs > 0) || t < start || t >= start + durationMs) return 0;
  const x = (t - start) / durationMs;
  const rampIn = rampMs > 0 ? Math.min(1, (t - start) / rampMs) : 1;
  switch (shape) {
    case 'ramp':
      return x;
    case 'spike':
      return x < 0.1 ? x / 0.1 : Math.exp(-(x - 0.1) / 0.25);
    case 'drop':
      return 1 - x;
    default:
      return rampIn;
  }
}

/** Kinds of injectable incidents. */
export type IncidentKind = 'error_burst' | 'latency' | 'error_burst_latency' | 'silent' | 'flood' | 'new_error_template';

/** All incident kinds, in documentation order. */
export const INCIDENT_KINDS: readonly IncidentKind[] = ['error_burst', 'latency', 'error_burst_latency', 'silent', 'flood', 'new_error_template'];

/** One injected incident. */
export interface IncidentSpec {
  kind: IncidentKind;
  /** Service name, e.g. `payments`. */
  service: string;
  /** Region, e.g. `eu-west-1`. */
  region: string;
  /** Epoch ms. */
  start: number;
  durationMs: number;
  /** Strength; meaning and default per kind, see {@link DEFAULT_MAGNITUDE}. */
  magnitude?: number;
  /** Latency multiplier of `error_burst_latency` (default 5). */
  latencyFactor?: number;
  /** Linear ramp-in from `start`, ms (default 0: full strength at once; `step` shape only). */
  rampMs?: number;
  /** How the strength moves over the incident (default `step`), see {@link envelope}. */
  shape?: IncidentShape;
}

/** Default `magnitude` per kind. */
export const DEFAULT_MAGNITUDE: Readonly<Record<IncidentKind, number>> = {
  error_burst: 0.25,
  latency: 5,
  error_burst_latency: 0.25,
  silent: 0,
  flood: 8,
  new_error_template: 0.05,
};

/** Ground truth for one incident. */
export interface IncidentLabel {
  /** `service#region`. */
  partition: string;
  /** Epoch ms, inclusive. */
  start: number;
  /** Epoch ms, exclusive. */
  end: number;
  kind: IncidentKind;
}

/** Partition key of a service in a region: `service#region`. */
export function partitionOf(service: string, region: string): string {
  return `${service}#${region}`;
}

/**
 * Ground-truth labels of injected incidents, sorted by start then partition.
 * @param incidents - the incidents passed to the generator
 */
export function labelsFor(incidents: readonly IncidentSpec[]): IncidentLabel[] {
  return incidents
    .map((i) => ({ partition: partitionOf(i.service, i.region), start: i.start, end: i.start + i.durationMs, kind: i.kind }))
    .sort((a, b) => a.start - b.start || (a.partition < b.partition ? -1 : a.partition > b.partition ? 1 : 0));
}

/**
 * Checks incidents and throws with a message that says what to fix.
 * @throws Error on a non-positive duration, an unknown kind, or a magnitude outside its range
 */
export function validateIncidents(incidents: readonly IncidentSpec[]): void {
  for (const i of incidents) {
    const where = `incident ${i.kind} on ${partitionOf(i.service, i.region)}`;
    if (!INCIDENT_KINDS.includes(i.kind)) throw new Error(`${where}: unknown kind; use one of ${INCIDENT_KINDS.join(', ')}`);
    if (i.shape !== undefined && !INCIDENT_SHAPES.includes(i.shape)) throw new Error(`${where}: unknown shape "${i.shape}"; use one of ${INCIDENT_SHAPES.join(', ')}`);
    if (!Number.isFinite(i.start) || !(i.durationMs > 0)) throw new Error(`${where}: start must be epoch ms and durationMs > 0`);
    const m = i.magnitude ?? DEFAULT_MAGNITUDE[i.kind];
    const share = i.kind === 'error_burst' || i.kind === 'error_burst_latency' || i.kind === 'new_error_template';
    if (share && !(m >= 0 && m <= 1)) throw new Error(`${where}: magnitude is a share, give 0..1 (got ${m})`);
    if (i.kind === 'silent' && !(m >= 0 && m < 1)) throw new Error(`${where}: magnitude is the remaining volume fraction, give 0..1 (got ${m})`);
    if ((i.kind === 'latency' || i.kind === 'flood') && !(m > 0)) throw new Error(`${where}: magnitude is a multiplier, give > 0 (got ${m})`);
  }
}

/** Combined effect of the incidents active at one instant on one partition. */
export interface ActiveEffect {
  /** Volume multiplier (0 = silent). */
  volume: number;
  /** Share of flows that run one of the service's known error flows. */
  errorShare: number;
  /** Share of flows that run the service's incident flow (the never-seen template). */
  incidentShare: number;
  latencyFactor: number;
  /** Max ramp 0..1 among active incidents (0 when none is active). */
  intensity: number;
  /** Kind of the first active incident. */
  incident?: IncidentKind;
}

/**
 * Effect of `incidents` (already filtered to one partition) at time `t`.
 * @param baseErrorShare - the service's normal error-flow share
 * @param toFlowShare - converts a target ERROR-line share into the share of flows that must fail,
 *   given the fraction of failures running the incident flow (the generator measures each
 *   service's lines per flow; identity by default)
 */
export function effectAt(
  incidents: readonly IncidentSpec[],
  t: number,
  baseErrorShare: number,
  toFlowShare: (lineShare: number, incidentMix: number) => number = (x) => x,
): ActiveEffect {
  const e: ActiveEffect = { volume: 1, errorShare: baseErrorShare, incidentShare: 0, latencyFactor: 1, intensity: 0 };
  for (const inc of incidents) {
    if (t < inc.start || t >= inc.start + inc.durationMs) continue;
    const ramp = envelope(inc.shape ?? 'step', t, inc.start, inc.durationMs, inc.rampMs);
    const m = inc.magnitude ?? DEFAULT_MAGNITUDE[inc.kind];
    e.intensity = Math.max(e.intensity, ramp);
    e.incident ??= inc.kind;
    switch (inc.kind) {
      case 'error_burst': {
        const f = toFlowShare(m, 0);
        e.errorShare = Math.max(e.errorShare, baseErrorShare + (f - baseErrorShare) * ramp);
        break;
      }
      case 'latency':
        e.latencyFactor *= 1 + (m - 1) * ramp;
        break;
      case 'error_burst_latency': {
        // 70% of the failures are the never-seen template, the rest the usual errors.
        const f = toFlowShare(m, 0.7);
        e.incidentShare = Math.max(e.incidentShare, 0.7 * f * ramp);
        // errorShare is taken among the flows that are not incident flows.
        const known = (0.3 * f) / Math.max(1e-9, 1 - 0.7 * f);
        e.errorShare = Math.max(e.errorShare, baseErrorShare + (known - baseErrorShare) * ramp);
        e.latencyFactor *= 1 + ((inc.latencyFactor ?? 5) - 1) * ramp;
        break;
      }
      case 'silent':
      case 'flood':
        e.volume *= 1 + (m - 1) * ramp;
        break;
      case 'new_error_template':
        e.incidentShare = Math.max(e.incidentShare, m * ramp);
        break;
    }
  }
  return e;
}

/**
 * Largest volume multiplier any instant of `[from, to)` can have (>= 1), used to thin a Poisson
 * process exactly: candidates are drawn at the peak rate and kept with probability volume/peak.
 */
export function peakVolume(incidents: readonly IncidentSpec[], from: number, to: number): number {
  let v = 1;
  for (const inc of incidents) {
    if (inc.start >= to || inc.start + inc.durationMs <= from) continue;
    if (inc.kind === 'flood') v *= Math.max(1, inc.magnitude ?? DEFAULT_MAGNITUDE.flood);
  }
  return v;
}
