/**
 * Deterministic synthetic log generator.
 *
 * Minute by minute, for every partition (service × region): draw the number of flows from a
 * Poisson law whose rate follows the service's diurnal and weekly curve (region-local time), pick
 * each flow's start uniformly in the minute and its log stream, run it (it emits an ordered
 * sequence of lines), add the streams' periodic lines, then sort the minute and yield it. Lines a
 * flow emits after the minute (a capture seconds later, a 30 s timeout) are carried to the minute
 * they belong to, so the output is globally sorted by timestamp.
 *
 * Each (partition, minute) has its own RNG seeded from (seed, partition, minute). Consequences:
 * - same seed -> identical output;
 * - a minute's events do not depend on the window requested: a week of history and the "live"
 *   hour that follows agree, and any sub-window of a run equals the same window generated alone;
 * - an incident changes only the partition and minutes it covers.
 */
import { stableHash } from '../hash';
import { fmix32, mulberry32, poisson } from '../random';
import type { LogEvent } from '../types';
import { effectAt, partitionOf, peakVolume, validateIncidents, type ActiveEffect, type IncidentSpec } from './incidents';
import { DEFAULT_SERVICES, REGION_UTC_OFFSET_HOURS, type FlowContext, type FlowEffect, type FlowSpec, type Rng, type ServiceSpec, type StreamInfo } from './services';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Minutes generated before `start` so flows that began earlier still contribute their tail. */
const WARMUP_MINUTES = 3;

/**
 * Recommended `scale` for the demo, for BOTH the week of history and the live hour (baselines are
 * learned at one scale; a live hour at another scale is a volume anomaly). At 0.25 a week of the
 * default services is about 1.05 M events (periodic lines are not scaled).
 */
export const DEMO_SCALE = 0.25;

/** Options of {@link generateEvents}. */
export interface GenerateOptions {
  /** Services to synthesise (default {@link DEFAULT_SERVICES}: 4 services × 2 regions). */
  services?: ServiceSpec[];
  /** First instant, epoch ms (inclusive). */
  start: number;
  /** Last instant, epoch ms (exclusive). */
  end: number;
  /** Any integer; same seed -> identical events. */
  seed: number;
  /** Incidents to inject (see {@link IncidentSpec}). */
  incidents?: IncidentSpec[];
  /**
   * Multiplier on every service's `baseRatePerMin` (default 1). Periodic lines (health checks,
   * pool stats) are per instance and not scaled. Use the SAME scale for history and live traffic,
   * or the learned baselines will not match.
   */
  scale?: number;
}

/**
 * Deterministic CloudWatch-like log stream name: `<service>-<region>-<i>/<uuid-like>`. Independent
 * of the seed, so history and live traffic share streams.
 */
export function streamName(service: string, region: string, index: number): string {
  const w = mixedWords(`${service}|${region}|${index}`);
  const h = w.map((x) => x.toString(16).padStart(8, '0')).join('');
  return `${service}-${region}-${index}/${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16], 16) & 3]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Four well-mixed 32-bit words derived from a string (FNV-1a then murmur3 finalisers). */
function mixedWords(key: string): [number, number, number, number] {
  const h = stableHash(key);
  const hi = parseInt(h.slice(0, 8), 16) >>> 0;
  const lo = parseInt(h.slice(8, 16), 16) >>> 0;
  const w0 = fmix32((lo ^ 0x9e3779b9) >>> 0);
  const w1 = fmix32((hi ^ w0) >>> 0);
  const w2 = fmix32(((w0 + w1) ^ lo) >>> 0);
  const w3 = fmix32((w2 ^ hi ^ 0x85ebca6b) >>> 0);
  return [w0, w1, w2, w3];
}

/** Region-local hour of day (fractional) and day of week (0 = Sunday) at `t`. */
export function localTime(region: string, t: number): { hour: number; dayOfWeek: number } {
  const local = t + (REGION_UTC_OFFSET_HOURS[region] ?? 0) * HOUR;
  const dayIndex = Math.floor(local / DAY);
  return { hour: (local - dayIndex * DAY) / HOUR, dayOfWeek: (((dayIndex + 4) % 7) + 7) % 7 };
}

const diurnalNorm = new WeakMap<ServiceSpec, number>();

/** Unnormalised diurnal shape in [troughRatio, 1]: 1 at the peak hour, the trough 12 h away. */
function diurnalShape(spec: ServiceSpec, hour: number): number {
  const { peakHourLocal, troughRatio } = spec.seasonality;
  const g = (1 + Math.cos((2 * Math.PI * (hour - peakHourLocal)) / 24)) / 2;
  return troughRatio + (1 - troughRatio) * Math.pow(g, 1.5);
}

/**
 * Seasonal multiplier of a service's rate at `t` in `region`: a diurnal curve (region-local,
 * mean 1 over a day) times the weekend factor on Saturday and Sunday.
 */
export function seasonalFactor(spec: ServiceSpec, region: string, t: number): number {
  let norm = diurnalNorm.get(spec);
  if (norm === undefined) {
    let s = 0;
    for (let m = 0; m < 1440; m++) s += diurnalShape(spec, (m + 0.5) / 60);
    norm = s / 1440;
    diurnalNorm.set(spec, norm);
  }
  const { hour, dayOfWeek } = localTime(region, t);
  const weekly = dayOfWeek === 0 || dayOfWeek === 6 ? spec.seasonality.weekendFactor : 1;
  return (diurnalShape(spec, hour) / norm) * weekly;
}

/**
 * Expected events per minute of a partition at `t` without incidents: flow lines at the seasonal
 * rate times `scale`, plus the streams' periodic lines.
 */
export function expectedEventsPerMin(spec: ServiceSpec, region: string, t: number, scale = 1): number {
  let periodic = 0;
  for (const p of spec.periodic) periodic += (spec.streams * MINUTE) / p.everyMs;
  return spec.baseRatePerMin * scale * seasonalFactor(spec, region, t) + periodic;
}


/** Seed of one (run seed, partition, minute). */
function minuteSeed(seed: number, partitionHash: number, minute: number): number {
  return fmix32((fmix32((seed ^ partitionHash) >>> 0) + Math.imul(minute | 0, 0x9e3779b1)) >>> 0);
}

/** Cumulative weights for weighted picks. */
function cumulative(flows: readonly FlowSpec[]): Float64Array {
  const c = new Float64Array(flows.length);
  let s = 0;
  flows.forEach((f, i) => (c[i] = s += f.weight));
  return c;
}

function pickWeighted(rng: Rng, flows: readonly FlowSpec[], cum: Float64Array): FlowSpec {
  const x = rng() * cum[cum.length - 1];
  for (let i = 0; i < cum.length; i++) if (x < cum[i]) return flows[i];
  return flows[flows.length - 1];
}

const ZEROS = '0'.repeat(56);
/**
 * 56-digit CloudWatch-like event id: timestamp, partition code, generation minute, sequence,
 * zero-padded. Unique within a run (the sequence is per partition and generation minute).
 */
function eventId(t: number, prefix: string, seq: number): string {
  const head = String(t) + prefix + (seq < 1e6 ? String(seq + 1e6).slice(1) : String(seq));
  return head.length >= 56 ? head : head + ZEROS.slice(head.length);
}

const NEUTRAL: FlowEffect = { latencyFactor: 1, intensity: 0 };

/** Mutable flow context, reused for every flow (no per-flow allocation). */
class Ctx implements FlowContext {
  rng: Rng = Math.random;
  service!: ServiceSpec;
  region = '';
  stream!: StreamInfo;
  effect: FlowEffect = NEUTRAL;
  t = 0;
  logGroup = '';
  /** Id prefix digits: partition code + generation minute. */
  idPrefix = '';
  seq = 0;
  out: LogEvent[] = [];
  /** Windows [from, to) where the partition is fully silent: nothing is emitted, not even tails of earlier flows. */
  muted: ReadonlyArray<readonly [number, number]> = [];

  emit(message: string): void {
    for (let i = 0; i < this.muted.length; i++) if (this.t >= this.muted[i][0] && this.t < this.muted[i][1]) return;
    const seq = this.seq++;
    this.out.push({
      id: eventId(this.t, this.idPrefix, seq),
      timestamp: this.t,
      message,
      logGroup: this.logGroup,
      logStream: this.stream.name,
    });
  }

  wait(ms: number): void {
    if (ms > 0) this.t += Math.round(ms);
  }
}

/** Lines and ERROR-level lines per flow, by flow family, measured on a fixed-seed sample. */
export interface FlowStats {
  /** Normal traffic in normal operation (error flows at the base share included). */
  lines: number;
  /** Normal flows only. */
  normalLines: number;
  /** Known error flows: lines per flow and ERROR-level lines per flow. */
  errorLines: number;
  errorErrors: number;
  /** The incident flow. */
  incidentLines: number;
  incidentErrors: number;
}

/** Recognises an ERROR-level line in any of the synthetic formats (calibration only). */
const ERROR_LINE = /^\S+ \S+ ERROR |"level":"ERROR"|^time=\S+ level=error |^\S+ \S+ \[(?:error|crit)\]|^\S+ - \S+ \[[^\]]+\] "[^"]*" 5\d\d /;

const statsCache = new WeakMap<ServiceSpec, FlowStats>();

/** Per-flow line statistics of a service (cached), used to turn event rates into flow rates. */
export function flowStats(spec: ServiceSpec): FlowStats {
  const cached = statsCache.get(spec);
  if (cached !== undefined) return cached;
  const ctx = new Ctx();
  ctx.rng = mulberry32(0x5eed);
  ctx.service = spec;
  ctx.region = spec.regions[0] ?? 'us-east-1';
  ctx.stream = { index: 0, name: 'calibration', host: 'calibration', pid: 1, ip: '10.0.0.1' };
  const measure = (n: number, choose: () => FlowSpec): { lines: number; errors: number } => {
    ctx.out = [];
    for (let i = 0; i < n; i++) {
      ctx.t = 1_700_000_000_000;
      choose().run(ctx);
    }
    let errors = 0;
    for (const e of ctx.out) if (ERROR_LINE.test(e.message)) errors++;
    return { lines: ctx.out.length / n, errors: errors / n };
  };
  const cum = cumulative(spec.flows);
  const errCum = cumulative(spec.errorFlows);
  const normal = measure(4000, () => pickWeighted(ctx.rng, spec.flows, cum));
  const err = spec.errorFlows.length > 0 ? measure(400, () => pickWeighted(ctx.rng, spec.errorFlows, errCum)) : { lines: 1, errors: 1 };
  const inc = measure(200, () => spec.incidentFlow);
  const base = spec.errorFlows.length > 0 ? spec.errorShare : 0;
  const stats: FlowStats = {
    lines: (1 - base) * normal.lines + base * err.lines,
    normalLines: normal.lines,
    errorLines: err.lines,
    errorErrors: Math.max(err.errors, 1e-6),
    incidentLines: inc.lines,
    incidentErrors: Math.max(inc.errors, 1e-6),
  };
  statsCache.set(spec, stats);
  return stats;
}

/** Mean lines per flow of a service in normal operation. */
export function meanEventsPerFlow(spec: ServiceSpec): number {
  return flowStats(spec).lines;
}

/**
 * Share of flows that must fail so that about `lineShare` of the partition's lines are ERROR,
 * when a fraction `incidentMix` of the failures run the incident flow and the rest known errors.
 */
function failingFlowShare(st: FlowStats, lineShare: number, incidentMix: number): number {
  const E = incidentMix * st.incidentLines + (1 - incidentMix) * st.errorLines;
  const R = incidentMix * st.incidentErrors + (1 - incidentMix) * st.errorErrors;
  const N = st.normalLines;
  const f = (lineShare * N) / (R + lineShare * N - lineShare * E);
  return Math.min(0.98, Math.max(0, f));
}

interface PartitionState {
  spec: ServiceSpec;
  region: string;
  key: string;
  logGroup: string;
  hash: number;
  code: string;
  streams: StreamInfo[];
  flowCum: Float64Array;
  errorCum: Float64Array;
  flowsPerEvent: number;
  toFlowShare: (lineShare: number, incidentMix: number) => number;
  incidents: IncidentSpec[];
  muted: Array<readonly [number, number]>;
  /** Periodic phase per (periodic spec, stream), ms. */
  phases: number[][];
}

function partitions(services: readonly ServiceSpec[], incidents: readonly IncidentSpec[]): PartitionState[] {
  const out: PartitionState[] = [];
  for (const spec of services) {
    if (spec.flows.length === 0) throw new Error(`service ${spec.name}: needs at least one flow`);
    if (!(spec.streams >= 1)) throw new Error(`service ${spec.name}: streams must be >= 1`);
    for (const region of spec.regions) {
      const key = partitionOf(spec.name, region);
      const hash = mixedWords(key)[0];
      const streams: StreamInfo[] = [];
      for (let i = 0; i < spec.streams; i++) {
        const name = streamName(spec.name, region, i);
        const h = mixedWords(name)[0];
        streams.push({ index: i, name, host: `ip-10-0-${(h >>> 8) & 63}-${h & 255}.ec2.internal`, pid: 20 + (h % 40), ip: `10.0.${(h >>> 8) & 63}.${h & 255}` });
      }
      const st = flowStats(spec);
      const own = incidents.filter((i) => i.service === spec.name && i.region === region);
      const muted = own
        .filter((i) => i.kind === 'silent' && (i.magnitude ?? 0) === 0 && (i.shape ?? 'step') === 'step')
        .map((i) => [i.start + Math.max(0, i.rampMs ?? 0), i.start + i.durationMs] as const);
      out.push({
        spec,
        region,
        key,
        logGroup: spec.logGroup(region),
        hash,
        code: String(hash % 10000).padStart(4, '0'),
        streams,
        flowCum: cumulative(spec.flows),
        errorCum: cumulative(spec.errorFlows),
        flowsPerEvent: 1 / st.lines,
        toFlowShare: (lineShare: number, incidentMix: number) => failingFlowShare(st, lineShare, incidentMix),
        incidents: own,
        muted,
        phases: spec.periodic.map((p) => streams.map((s) => mixedWords(`${s.name}|${p.name}`)[0] % p.everyMs)),
      });
    }
  }
  return out;
}

/** Generates one partition-minute into ctx.out. */
function generateMinute(ctx: Ctx, p: PartitionState, seed: number, minute: number, scale: number): void {
  const t0 = minute * MINUTE;
  const rng = mulberry32(minuteSeed(seed, p.hash, minute));
  ctx.rng = rng;
  ctx.service = p.spec;
  ctx.region = p.region;
  ctx.logGroup = p.logGroup;
  ctx.muted = p.muted;
  ctx.idPrefix = p.code + String(((minute % 100) + 100) % 100).padStart(2, '0');
  ctx.seq = 0;
  const spec = p.spec;
  const hasIncidents = p.incidents.length > 0;
  const peak = hasIncidents ? peakVolume(p.incidents, t0, t0 + MINUTE) : 1;
  const lambda = spec.baseRatePerMin * scale * seasonalFactor(spec, p.region, t0 + MINUTE / 2) * p.flowsPerEvent;
  const n = poisson(rng, lambda * peak);
  const nStreams = p.streams.length;
  const hasErrors = spec.errorFlows.length > 0;
  for (let k = 0; k < n; k++) {
    const t = t0 + Math.floor(rng() * MINUTE);
    const stream = p.streams[Math.floor(rng() * nStreams)];
    let errorShare = spec.errorShare;
    let incidentShare = 0;
    ctx.effect = NEUTRAL;
    if (hasIncidents) {
      const e: ActiveEffect = effectAt(p.incidents, t, spec.errorShare, p.toFlowShare);
      if (peak !== 1 || e.volume !== 1) {
        if (rng() >= e.volume / peak) continue;
      }
      errorShare = e.errorShare;
      incidentShare = e.incidentShare;
      if (e.intensity > 0) ctx.effect = { latencyFactor: e.latencyFactor, intensity: e.intensity, incident: e.incident };
    }
    const r = rng();
    const flow =
      r < incidentShare
        ? spec.incidentFlow
        : hasErrors && r < incidentShare + errorShare
          ? pickWeighted(rng, spec.errorFlows, p.errorCum)
          : pickWeighted(rng, spec.flows, p.flowCum);
    ctx.stream = stream;
    ctx.t = t;
    flow.run(ctx);
  }
  // Periodic lines: one per stream per period, at a fixed per-stream phase.
  for (let j = 0; j < spec.periodic.length; j++) {
    const per = spec.periodic[j];
    for (let s = 0; s < nStreams; s++) {
      const phase = p.phases[j][s];
      let t = t0 + ((((phase - t0) % per.everyMs) + per.everyMs) % per.everyMs);
      for (; t < t0 + MINUTE; t += per.everyMs) {
        ctx.effect = NEUTRAL;
        if (hasIncidents) {
          const e = effectAt(p.incidents, t, spec.errorShare, p.toFlowShare);
          if (e.volume < 1 && rng() >= e.volume) continue;
          if (e.intensity > 0) ctx.effect = { latencyFactor: e.latencyFactor, intensity: e.intensity, incident: e.incident };
        }
        ctx.stream = p.streams[s];
        ctx.t = t;
        per.run(ctx);
      }
    }
  }
}

const byTimestamp = (a: LogEvent, b: LogEvent): number => a.timestamp - b.timestamp;

/**
 * Generates realistic log events for every partition of `services` in `[start, end)`, sorted by
 * timestamp (ties in a deterministic order). Each event carries the exact line the service would
 * write, its log group `/harbinger/<region>/<service>`, its log stream
 * `<service>-<region>-<i>/<uuid-like>` and a deterministic 56-digit id.
 *
 * Volume: the default services produce about 40 events/min per partition (8 partitions) at
 * `scale` 1, i.e. ~3.2 M events for a week; the demo uses {@link DEMO_SCALE} (0.25, ~1.05 M
 * events for a week) for history AND live traffic. Throughput is roughly 250-350 k events per
 * CPU-second; consume lazily (it is a generator) to keep memory flat.
 *
 * @throws Error when `end < start` or an incident is invalid (see {@link validateIncidents})
 */
export function* generateEvents(options: GenerateOptions): Generator<LogEvent> {
  const { start, end, seed } = options;
  const services = options.services ?? DEFAULT_SERVICES;
  const incidents = options.incidents ?? [];
  const scale = options.scale ?? 1;
  if (!(Number.isFinite(start) && Number.isFinite(end)) || end < start) throw new Error(`generateEvents: need finite start <= end (got ${start}, ${end})`);
  if (!(scale >= 0)) throw new Error(`generateEvents: scale must be >= 0 (got ${scale})`);
  validateIncidents(incidents);
  const parts = partitions(services, incidents);
  const seed32 = seed >>> 0 ^ Math.floor(seed / 0x100000000);
  const ctx = new Ctx();
  let carry: LogEvent[] = [];
  const firstMinute = Math.floor(start / MINUTE) - WARMUP_MINUTES;
  const lastMinute = Math.floor((end - 1) / MINUTE);
  for (let minute = firstMinute; minute <= lastMinute; minute++) {
    const t1 = (minute + 1) * MINUTE;
    ctx.out = [];
    for (const p of parts) generateMinute(ctx, p, seed32, minute, scale);
    const batch: LogEvent[] = [];
    const later: LogEvent[] = [];
    for (const e of carry) (e.timestamp < t1 ? batch : later).push(e);
    for (const e of ctx.out) (e.timestamp < t1 ? batch : later).push(e);
    carry = later;
    if (t1 <= start) continue;
    batch.sort(byTimestamp);
    for (const e of batch) if (e.timestamp >= start && e.timestamp < end) yield e;
  }
}
