/**
 * Synthetic logs from a partition's LEARNED profile (instead of the hand-written services): window
 * feature vectors (seasonal statistics or VAE decoder samples, see window-sampler.ts) turned into
 * concrete lines, written the way the service writes them (the layouts learned from its sample
 * lines), so they parse back through the scorer's own decode/parse/template path.
 *
 * For each window:
 * 1. counts: `count` lines, `errorCount` of them ERROR/FATAL, `warnRate × count` WARN, the rest
 *    other levels; the lines of each level group are drawn from the templates by share × the
 *    template's share of that level (so error lines come from templates that log errors);
 * 2. flows: the profile's ordered patterns (A then B within a gap, per log stream) make B a line
 *    written after its A, in A's stream, within the gap and the window (with probability
 *    share(B)/share(A), which keeps B's share); other times are uniform in the minute;
 * 3. latencies drawn from each template's learned distribution, then mapped (monotone, a power law
 *    per segment) so the window's P50, P95 and P99 are the sampled ones; statuses fit the level;
 * 4. every other value drawn from its learned distribution; the line is written in its layout.
 *
 * Incidents (incidents.ts) change the sampled windows: volume ×, error share, latency ×, and lines
 * of a never-seen error template. Deterministic: each minute has its own seeded RNG.
 */
import { stableHash } from '../hash';
import { mulberry32 } from '../random';
import { fillTemplate, templateTokens, type TemplateTokens } from '../slot-stats';
import { isPartsLayout, layoutHoles, renderLine } from '../line-layout';
import type { FeatureName, Level, LineLayout, LogEvent, OrderedPattern, Profile, SlotStat } from '../types';
import { effectAt, partitionOf, validateIncidents, type ActiveEffect, type IncidentSpec } from './incidents';
import { streamName } from './generator';
import { drawSlot, drawStatus, formatNumber, numAt, type Rng } from './slot-draw';
import { minuteSeed, statsWindowSampler, WindowSamplerError, type WindowSampler } from './window-sampler';

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** Layout used for templates without a learned one: `2024-05-01T12:00:00.000Z LEVEL body`. */
export const FALLBACK_LAYOUT: LineLayout = { format: 'text', parts: [{ ts: 'YYYY-MM-DDThh:mm:ss.f3Z' }, ' ', { level: 'upper' }, ' ', { body: -1 }] };
/** Text of the never-seen error template injected by `new_error_template` and `error_burst_latency`. */
export const INCIDENT_TEMPLATE = 'Connection pool exhausted: timeout after <*>ms waiting for connection to db-<*>';

type LevelGroup = 'error' | 'warn' | 'rest';

function groupOf(level: Level): LevelGroup {
  return level === 'ERROR' || level === 'FATAL' ? 'error' : level === 'WARN' ? 'warn' : 'rest';
}

interface RoleRef {
  where: 'slot' | 'hole';
  index: number;
  stat: SlotStat;
}

/** One template, ready to write lines. */
interface TemplatePlan {
  id: string;
  tokens: TemplateTokens;
  slots: SlotStat[];
  holes: SlotStat[];
  layout: LineLayout;
  levels: Array<[Level, number]>;
  /** The value the scorer reads as latency (the first one, as parse.ts does). */
  latency?: RoleRef;
  /** Learned shape (false: fallback layout and placeholder values). */
  learned: boolean;
}

/** A B line written after its A line (an ordered pattern), with probability `p`. */
interface Spawn {
  plan: TemplatePlan;
  p: number;
  gapMs: number;
}

interface Pool {
  cum: number[];
  /** `spawned`: the template is written after its parent: drawing it writes the whole chain. */
  entries: Array<{ plan: TemplatePlan; levels: Array<[Level, number]>; spawned: boolean }>;
}

/** A profile compiled for generation (see {@link planFromProfile}). */
export interface ProfilePlan {
  partition: string;
  logGroup: string;
  streams: string[];
  /** 4-digit partition code used in event ids. */
  code: string;
  templates: TemplatePlan[];
  pools: Record<LevelGroup, Pool>;
  /** The never-seen error template of incidents. */
  incident: TemplatePlan;
  /** Ordered patterns not used for spawning, A's before the B's that depend on them (paired after drawing). */
  patterns: OrderedPattern[];
  /** Per template id: templates spawned after it (pattern A -> B), with probability and gap. */
  children: Map<string, Spawn[]>;
  /** Per spawned template id: its parent template and the pattern's gap. */
  parents: Map<string, { plan: TemplatePlan; gapMs: number }>;
  /** Templates that had no learned shape and use {@link FALLBACK_LAYOUT}. */
  fallbackTemplates: number;
}

/** Options of {@link planFromProfile}. */
export interface PlanOptions {
  /** Log streams the lines are spread over (default 3). */
  streams?: number;
  /** Log group (default `/harbinger/<region>/<service>[/<segment>]`, which maps back to the partition). */
  logGroup?: string;
}

/** Thrown when generation options are unusable (bad range, empty profile, bad stream count). */
export class ProfileGenerationError extends Error {
  override readonly name = 'ProfileGenerationError';
}

/**
 * Log group of a partition key under the default partition rules: `service#region[#segment]` ->
 * `/harbinger/<region>/<service>[/<segment>]`.
 */
export function logGroupFor(partition: string): string {
  const [service, region, segment] = partition.split('#');
  return `/harbinger/${region ?? 'default'}/${service}${segment ? '/' + segment : ''}`;
}

function placeholderSlots(n: number): SlotStat[] {
  return Array.from({ length: n }, () => ({ kind: 'cat' as const, n: 0, values: ['1'], shares: [1] }));
}

function compileTemplate(id: string, template: string, layout: LineLayout | undefined, slots: SlotStat[] | undefined, levels: Array<[Level, number]>): TemplatePlan {
  const tokens = templateTokens(template);
  const useLayout = layout ?? FALLBACK_LAYOUT;
  const ownSlots = slots && slots.length === tokens.slots ? slots : placeholderSlots(tokens.slots);
  const holes = layoutHoles(useLayout);
  let latency: RoleRef | undefined;
  const scan = (where: 'slot' | 'hole', list: SlotStat[]): void =>
    list.forEach((stat, index) => {
      if (stat.role === 'latency' && !latency) latency = { where, index, stat };
    });
  // The parser reads the first latency it meets; holes of a header come before the body in text lines.
  scan('hole', holes);
  scan('slot', ownSlots);
  return { id, tokens, slots: ownSlots, holes, layout: useLayout, levels, latency, learned: layout !== undefined };
}

function hasLevel(layout: LineLayout): boolean {
  return isPartsLayout(layout) ? layout.parts.some((p) => typeof p === 'object' && 'level' in p) : layout.fields.some((f) => f.role === 'level');
}

function writesBody(layout: LineLayout): boolean {
  return isPartsLayout(layout) ? layout.parts.some((p) => typeof p === 'object' && 'body' in p) : layout.fields.some((f) => f.role === 'msg');
}

/**
 * Chooses which patterns generate their B from their A (a "flow"): one parent per B, no cycles.
 * Among the A's of a B, the nearest one wins: the A that every other A of that B precedes (in
 * `received -> authorized -> captured`, captured's parent is authorized, not received); otherwise
 * the strongest pattern. A B is spawned with probability share(B) / share(A) (at most 1), which
 * keeps its share.
 */
function spawnEdges(
  profile: Profile,
  plans: Map<string, TemplatePlan>,
): { children: Map<string, Spawn[]>; parents: Map<string, { plan: TemplatePlan; gapMs: number }>; rest: OrderedPattern[] } {
  const share = new Map(profile.templates.map((t) => [t.id, t.share]));
  const parent = new Map<string, string>();
  const parents = new Map<string, { plan: TemplatePlan; gapMs: number }>();
  const children = new Map<string, Spawn[]>();
  const rest: OrderedPattern[] = [];
  const follows = new Set(profile.patterns.map((p) => `${p.a}>${p.b}`));
  const into = new Map<string, string[]>();
  for (const p of profile.patterns) into.set(p.b, [...(into.get(p.b) ?? []), p.a]);
  // Nearest A of its B: preceded (as a pattern) by every other A of that B.
  const nearest = (p: OrderedPattern): number => ((into.get(p.b) ?? []).every((a) => a === p.a || follows.has(`${a}>${p.a}`)) ? 1 : 0);
  const sorted = [...profile.patterns].sort(
    (x, y) => nearest(y) - nearest(x) || y.support - x.support || (share.get(y.a) ?? 0) - (share.get(x.a) ?? 0) || (x.id < y.id ? -1 : 1),
  );
  const reaches = (from: string, to: string): boolean => {
    for (let cur: string | undefined = from, hops = 0; cur !== undefined && hops < 1000; cur = parent.get(cur), hops++) if (cur === to) return true;
    return false;
  };
  for (const p of sorted) {
    const a = plans.get(p.a);
    const b = plans.get(p.b);
    const sa = share.get(p.a) ?? 0;
    if (!a || !b || p.a === p.b || parent.has(p.b) || !(sa > 0) || reaches(p.a, p.b)) {
      rest.push(p);
      continue;
    }
    parent.set(p.b, p.a);
    parents.set(p.b, { plan: a, gapMs: p.maxGapMs });
    const list = children.get(p.a) ?? [];
    list.push({ plan: b, p: Math.min(1, (share.get(p.b) ?? 0) / sa), gapMs: p.maxGapMs });
    children.set(p.a, list);
  }
  return { children, parents, rest };
}

/** Patterns ordered so that a pattern whose A is another's B comes after it. */
function orderPatterns(patterns: readonly OrderedPattern[]): OrderedPattern[] {
  const depth = new Map<string, number>();
  for (let round = 0; round < patterns.length; round++) {
    let changed = false;
    for (const p of patterns) {
      const d = (depth.get(p.a) ?? 0) + 1;
      if (d > (depth.get(p.b) ?? 0) && d <= patterns.length) {
        depth.set(p.b, d);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return [...patterns].sort((x, y) => (depth.get(x.a) ?? 0) - (depth.get(y.a) ?? 0) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

/**
 * Compiles a profile for generation: templates with their layouts and value stats (a plain text
 * fallback for templates without a learned shape), level pools, the incident template, log group
 * and streams.
 * @throws ProfileGenerationError when the profile has no templates or `streams` < 1
 */
export function planFromProfile(profile: Profile, options: PlanOptions = {}): ProfilePlan {
  if (profile.templates.length === 0) throw new ProfileGenerationError(`profile ${profile.partition} has no templates: nothing to write lines from; build it from windows with template counts`);
  const nStreams = options.streams ?? 3;
  if (!(Number.isInteger(nStreams) && nStreams >= 1)) throw new ProfileGenerationError(`streams must be a whole number >= 1 (got ${nStreams})`);
  const [service, region] = profile.partition.split('#');
  const templates: TemplatePlan[] = [];
  const pools: Record<LevelGroup, Pool> = { error: { cum: [], entries: [] }, warn: { cum: [], entries: [] }, rest: { cum: [], entries: [] } };
  let fallback = 0;
  const byId = new Map<string, TemplatePlan>();
  for (const t of profile.templates) {
    const levels: Array<[Level, number]> = t.levels && Object.keys(t.levels).length > 0 ? (Object.entries(t.levels) as Array<[Level, number]>) : [[t.level, 1]];
    const layout = t.layout;
    const plan = compileTemplate(t.id, t.template, layout, t.slots, layout ? levels : [[t.level, 1]]);
    if (!plan.learned) fallback++;
    templates.push(plan);
    byId.set(t.id, plan);
  }
  const flows = spawnEdges(profile, byId);
  for (const t of profile.templates) {
    const plan = byId.get(t.id) as TemplatePlan;
    const spawned = flows.parents.has(t.id);
    for (const g of ['error', 'warn', 'rest'] as const) {
      // Spawned templates come with their parent's flow; their error and warning lines are drawn
      // in those groups (writing the parent first) so the window's error and warn counts hold.
      if (spawned && g === 'rest') continue;
      const within = plan.levels.filter(([l]) => groupOf(l) === g);
      const share = within.reduce((s, [, p]) => s + p, 0);
      const w = t.share * share;
      if (!(w > 0)) continue;
      const pool = pools[g];
      pool.cum.push((pool.cum[pool.cum.length - 1] ?? 0) + w);
      pool.entries.push({ plan, levels: within, spawned });
    }
  }
  // The incident template borrows the layout of the partition's most frequent template that writes
  // a body and a level (errors look like the service's other lines), else the plain text fallback.
  const host = templates.find((p) => p.learned && writesBody(p.layout) && hasLevel(p.layout) && p.levels.some(([l]) => groupOf(l) === 'error')) ??
    templates.find((p) => p.learned && writesBody(p.layout) && hasLevel(p.layout));
  const incidentSlots: SlotStat[] = [
    { kind: 'cat', n: 1, values: ['30000'], shares: [1] },
    { kind: 'cat', n: 3, values: ['1', '2', '3'], shares: [0.34, 0.33, 0.33] },
  ];
  const incident = compileTemplate(stableHash(INCIDENT_TEMPLATE), INCIDENT_TEMPLATE, host?.layout ?? FALLBACK_LAYOUT, incidentSlots, [['ERROR', 1]]);
  const code = String((parseInt(stableHash(profile.partition).slice(0, 8), 16) >>> 0) % 10000).padStart(4, '0');
  return {
    partition: profile.partition,
    logGroup: options.logGroup ?? logGroupFor(profile.partition),
    streams: Array.from({ length: nStreams }, (_, i) => streamName(service, region ?? 'default', i)),
    code,
    templates,
    pools,
    incident,
    patterns: orderPatterns(flows.rest),
    children: flows.children,
    parents: flows.parents,
    fallbackTemplates: fallback,
  };
}

/** What one window must contain. */
export interface WindowSpec {
  windowStart: number;
  /** Sampled features: `count`, `errorCount` (else `errorRate`), `warnRate`, `latencyP50`, `latencyP95` are honoured. */
  features: Partial<Record<FeatureName, number>>;
  /** Lines of the never-seen incident template (ERROR, counted in `errorCount`). */
  newTemplateLines?: number;
}

interface Line {
  plan: TemplatePlan;
  level: Level;
  t: number;
  stream: number;
  /** Tie-break after the time: a B placed at its A's instant is written after it. */
  ord: number;
  /** Written after a parent line (a flow): pattern pairing leaves it where it is. */
  spawned?: boolean;
  latencyMs?: number;
}

function stochasticRound(x: number, rng: Rng): number {
  if (!(x > 0)) return 0;
  const f = Math.floor(x);
  return f + (rng() < x - f ? 1 : 0);
}

function drawLevel(levels: ReadonlyArray<[Level, number]>, rng: Rng): Level {
  if (levels.length === 1) return levels[0][0];
  let s = 0;
  for (const [, p] of levels) s += p;
  let y = rng() * s;
  for (const [l, p] of levels) {
    y -= p;
    if (y < 0) return l;
  }
  return levels[levels.length - 1][0];
}

function drawFromPool(pool: Pool, rng: Rng): { plan: TemplatePlan; level: Level; spawned: boolean } {
  const total = pool.cum[pool.cum.length - 1];
  const x = rng() * total;
  let lo = 0;
  let hi = pool.cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pool.cum[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  const e = pool.entries[lo];
  return { plan: e.plan, level: drawLevel(e.levels, rng), spawned: e.spawned };
}

/** Places each B of a pattern after one A of the window, in the A's stream, within the gap. */
function pairPatterns(plan: ProfilePlan, lines: Line[], windowEnd: number, rng: Rng): void {
  if (plan.patterns.length === 0) return;
  const byTemplate = new Map<string, Line[]>();
  for (const l of lines) {
    const list = byTemplate.get(l.plan.id);
    if (list) list.push(l);
    else byTemplate.set(l.plan.id, [l]);
  }
  for (const p of plan.patterns) {
    const as = byTemplate.get(p.a);
    const bs = byTemplate.get(p.b)?.filter((l) => !l.spawned);
    if (!as || !bs || bs.length === 0) continue;
    as.sort((x, y) => x.t - y.t || x.ord - y.ord);
    const k = Math.min(as.length, bs.length);
    for (let i = 0; i < k; i++) {
      const a = as[i];
      const b = bs[i];
      const room = Math.min(p.maxGapMs, windowEnd - 1 - a.t);
      b.t = a.t + (room > 0 ? 1 + Math.floor(rng() * room) : 0);
      b.stream = a.stream;
      b.ord = a.ord + 1;
    }
  }
}

/** Exponent mapping the drawn quantile ratio onto the target one (1 when either is flat). */
function exponent(target: number, drawn: number): number {
  if (!(target > 1) || !(drawn > 1)) return 1;
  return Math.min(10, Math.max(0.1, Math.log(target) / Math.log(drawn)));
}

/**
 * Maps the window's drawn latencies so their nearest-rank P50, P95 and P99 (the scorer's quantile
 * rule) are the targets: monotone, a power law in each segment (below P95 anchored at P50, above it
 * at P95), so the order of lines and the shape within segments are kept.
 */
function fitLatencies(lines: Line[], p50: number | undefined, p95: number | undefined, p99: number | undefined): void {
  const withLatency = lines.filter((l) => l.latencyMs !== undefined && l.latencyMs > 0);
  if (withLatency.length === 0 || !(p50 !== undefined && p50 > 0)) return;
  const sorted = withLatency.map((l) => l.latencyMs as number).sort((a, b) => a - b);
  const rank = (q: number): number => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
  const r50 = rank(0.5);
  const r95 = rank(0.95);
  const r99 = rank(0.99);
  const t95 = p95 !== undefined && p95 >= p50 ? p95 : undefined;
  const b = t95 !== undefined ? exponent(t95 / p50, r95 / r50) : 1;
  const top = t95 !== undefined ? t95 : p50 * Math.pow(r95 / r50, b);
  const b99 = t95 !== undefined && p99 !== undefined && p99 >= t95 ? exponent(p99 / t95, r99 / r95) : b;
  for (const l of withLatency) {
    const x = l.latencyMs as number;
    l.latencyMs = x <= r95 ? p50 * Math.pow(x / r50, b) : top * Math.pow(x / r95, b99);
  }
}

function latencyText(stat: SlotStat, ms: number): string {
  const unit = stat.unit ?? 1;
  const decimals = stat.decimals ?? 0;
  const step = Math.pow(10, -decimals);
  return formatNumber(Math.max(step, ms / unit), decimals) + (stat.suffix ?? '');
}

function valueFor(plan: TemplatePlan, line: Line, where: 'slot' | 'hole', index: number, stat: SlotStat, rng: Rng): string {
  if (plan.latency && plan.latency.where === where && plan.latency.index === index && line.latencyMs !== undefined) return latencyText(stat, line.latencyMs);
  if (stat.role === 'status') return drawStatus(stat, line.level, rng, line.t);
  return drawSlot(stat, rng, line.t);
}

const ZEROS = '0'.repeat(56);

/** 56-digit CloudWatch-like id: time, partition code, sequence within the window. */
function eventId(t: number, code: string, seq: number): string {
  const head = String(t) + code + String(seq + 1e6).slice(1);
  return head.length >= 56 ? head : head + ZEROS.slice(head.length);
}

/**
 * Concrete lines for one window, sorted by time (ties: an A before the B paired with it).
 * @param plan - {@link planFromProfile} output
 * @param window - the window and its sampled features
 * @param rng - seeded uniform source (the window's own, for determinism)
 */
export function eventsForWindow(plan: ProfilePlan, window: WindowSpec, rng: Rng): LogEvent[] {
  const f = window.features;
  const ws = window.windowStart;
  const n = stochasticRound(f.count ?? 0, rng);
  if (n === 0) return [];
  const incident = Math.min(n, Math.max(0, Math.round(window.newTemplateLines ?? 0)));
  const errorsTarget = Math.round(f.errorCount ?? (f.errorRate ?? 0) * n);
  let errors = Math.max(0, Math.min(n - incident, errorsTarget - incident));
  let warns = Math.min(n - incident - errors, stochasticRound((f.warnRate ?? 0) * n, rng));
  if (plan.pools.error.entries.length === 0) errors = 0;
  if (plan.pools.warn.entries.length === 0) warns = 0;
  const lines: Line[] = [];
  const end = ws + MINUTE;
  const have: Record<LevelGroup, number> = { error: 0, warn: 0, rest: 0 };
  const target: Record<LevelGroup, number> = { error: errors + incident, warn: warns, rest: n - incident - errors - warns };
  // A spawned line takes a level of a group that still needs lines (when its template has one).
  const openLevel = (levels: ReadonlyArray<[Level, number]>): Level => {
    const open = levels.filter(([l]) => have[groupOf(l)] < target[groupOf(l)]);
    return drawLevel(open.length > 0 ? open : levels, rng);
  };
  const after = (t: number, gapMs: number): number => {
    // Hops of a flow are short (up to an eighth of the gap), so chains of patterns fit their gaps.
    const room = Math.min(Math.floor(gapMs / 8), end - 1 - t);
    return t + (room > 0 ? 1 + Math.floor(rng() * room) : 0);
  };
  const add = (p: TemplatePlan, level: Level, t: number, stream: number, ord: number, spawned: boolean): void => {
    lines.push({ plan: p, level, t, stream, ord, spawned });
    have[groupOf(level)]++;
    for (const c of plan.children.get(p.id) ?? []) {
      if (rng() >= c.p) continue;
      add(c.plan, openLevel(c.plan.levels), after(t, c.gapMs), stream, ord + 1, true);
    }
  };
  const root = (p: TemplatePlan, level: Level, spawned: boolean): void => {
    const stream = Math.floor(rng() * plan.streams.length);
    if (!spawned) {
      add(p, level, ws + Math.floor(rng() * MINUTE), stream, 0, false);
      return;
    }
    // A spawned template drawn for its level: write its ancestors first (without their other children).
    const chain: Array<{ plan: TemplatePlan; gapMs: number }> = [];
    for (let cur = plan.parents.get(p.id); cur && chain.length < 16; cur = plan.parents.get(cur.plan.id)) chain.unshift(cur);
    let t = ws + Math.floor(rng() * MINUTE);
    let ord = 0;
    for (let i = 0; i < chain.length; i++) {
      const a = chain[i];
      lines.push({ plan: a.plan, level: openLevel(a.plan.levels), t, stream, ord, spawned: i > 0 });
      have[groupOf(lines[lines.length - 1].level)]++;
      const gap = i + 1 < chain.length ? chain[i + 1].gapMs : (plan.parents.get(p.id)?.gapMs ?? 30_000);
      t = after(t, gap);
      ord++;
    }
    add(p, level, t, stream, ord, true);
  };
  for (let i = 0; i < incident; i++) root(plan.incident, 'ERROR', false);
  // Flows until each level group has its lines (a flow's spawned lines count in their own group).
  const restPool = plan.pools.rest.entries.length > 0 ? plan.pools.rest : plan.pools.warn.entries.length > 0 ? plan.pools.warn : plan.pools.error;
  const fill = (pool: Pool, done: () => boolean): void => {
    if (pool.entries.length === 0) return;
    for (let guard = 0; !done() && guard < 4 * n + 10; guard++) {
      const d = drawFromPool(pool, rng);
      root(d.plan, d.level, d.spawned);
    }
  };
  fill(plan.pools.error, () => have.error >= errors);
  fill(plan.pools.warn, () => have.warn >= warns);
  fill(restPool, () => lines.length >= n);
  pairPatterns(plan, lines, end, rng);
  for (const l of lines) {
    const lat = l.plan.latency;
    if (!lat) continue;
    if (lat.stat.kind === 'num') l.latencyMs = numAt(lat.stat, rng()) * (lat.stat.unit ?? 1);
    else l.latencyMs = Number(drawSlot(lat.stat, rng, l.t)) * (lat.stat.unit ?? 1);
    if (l.plan === plan.incident) l.latencyMs = 30_000;
  }
  fitLatencies(lines, f.latencyP50, f.latencyP95, f.latencyP99);
  lines.sort((a, b) => a.t - b.t || a.ord - b.ord);
  const out: LogEvent[] = new Array(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const p = l.plan;
    const slots = p.slots.map((s, j) => valueFor(p, l, 'slot', j, s, rng));
    const holes = p.holes.map((s, j) => valueFor(p, l, 'hole', j, s, rng));
    const body = fillTemplate(p.tokens, slots, p.layout.spacing);
    out[i] = {
      id: eventId(l.t, plan.code, i),
      timestamp: l.t,
      message: renderLine(p.layout, { t: l.t, level: l.level, body, holes }),
      logGroup: plan.logGroup,
      logStream: plan.streams[l.stream],
    };
  }
  return out;
}

/**
 * A window's features under an incident effect: volume ×, error share at least the effect's
 * (with lines of the never-seen template for its incident share), latency ×.
 * @returns the features to generate and the number of incident-template lines
 */
export function applyIncidentEffect(features: Partial<Record<FeatureName, number>>, effect: ActiveEffect | undefined): { features: Partial<Record<FeatureName, number>>; newTemplateLines: number } {
  if (!effect || (effect.intensity === 0 && effect.volume === 1)) return { features, newTemplateLines: 0 };
  const f = { ...features };
  const n = (f.count ?? 0) * effect.volume;
  const baseErrors = (f.errorCount ?? (f.errorRate ?? 0) * (f.count ?? 0)) * effect.volume;
  const newLines = Math.round(effect.incidentShare * n);
  const known = Math.max(baseErrors, effect.errorShare * (n - newLines));
  f.count = n;
  f.errorCount = Math.min(n, newLines + known);
  f.errorRate = n > 0 ? f.errorCount / n : 0;
  for (const q of ['latencyP50', 'latencyP95', 'latencyP99'] as const) if (f[q] !== undefined) f[q] = (f[q] as number) * effect.latencyFactor;
  return { features: f, newTemplateLines: newLines };
}

/** Options of {@link generateFromProfile}. */
export interface GenerateFromProfileOptions extends PlanOptions {
  profile: Profile;
  /** First instant, epoch ms (inclusive). */
  start: number;
  /** Last instant, epoch ms (exclusive). */
  end: number;
  /** Any integer; same seed -> identical events. */
  seed: number;
  /** VAE decoder samples (see {@link WindowSampler}); default the profile's seasonal statistics. */
  windowSampler?: WindowSampler;
  /** Incidents; those of other partitions (service#region) are ignored. */
  incidents?: IncidentSpec[];
}

function incidentsOf(partition: string, incidents: readonly IncidentSpec[]): IncidentSpec[] {
  return incidents.filter((i) => {
    const key = partitionOf(i.service, i.region);
    return partition === key || partition.startsWith(key + '#');
  });
}

/**
 * Generates the partition's log events in `[start, end)` from its profile, sorted by timestamp,
 * with log group and streams that map back to the partition. Each minute has its own RNG, so a
 * minute's events do not depend on the range asked for (the hour's sampler call aside).
 * Ground truth of injected incidents: `labelsFor(incidents)`.
 * @throws ProfileGenerationError on a bad range or profile; Error on an invalid incident
 * @throws WindowSamplerError when the sampler returns fewer rows than asked for
 */
export function* generateFromProfile(options: GenerateFromProfileOptions): Generator<LogEvent> {
  const { profile, start, end, seed } = options;
  if (!(Number.isFinite(start) && Number.isFinite(end)) || end < start) throw new ProfileGenerationError(`generateFromProfile: need finite start <= end (got ${start}, ${end})`);
  const plan = planFromProfile(profile, options);
  const incidents = incidentsOf(profile.partition, options.incidents ?? []);
  validateIncidents(incidents);
  const sampler = options.windowSampler ?? statsWindowSampler(profile, seed);
  for (let hour = Math.floor(start / HOUR) * HOUR; hour < end; hour += HOUR) {
    const rows = sampler(profile.partition, hour, 60);
    if (rows.length < 60) throw new WindowSamplerError(`window sampler returned ${rows.length} rows for the hour ${new Date(hour).toISOString()} of ${profile.partition}; expected 60`);
    for (let i = 0; i < 60; i++) {
      const ws = hour + i * MINUTE;
      if (ws + MINUTE <= start || ws >= end) continue;
      const base = rows[i];
      const rate = base.errorRate ?? ((base.count ?? 0) > 0 ? (base.errorCount ?? 0) / (base.count as number) : 0);
      const effect = incidents.length > 0 ? effectAt(incidents, ws + MINUTE / 2, rate) : undefined;
      const { features, newTemplateLines } = applyIncidentEffect(base, effect);
      const rng = mulberry32(minuteSeed(seed, profile.partition, ws / MINUTE, 2));
      for (const e of eventsForWindow(plan, { windowStart: ws, features, newTemplateLines }, rng)) {
        if (e.timestamp >= start && e.timestamp < end) yield e;
      }
    }
  }
}
