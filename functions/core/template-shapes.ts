/**
 * Learning how each template's lines look, from the redacted sample lines the windows keep (one
 * per template per window, so a long history gives a good spread of parameter values): the line
 * layout (format, keys, header), the distribution of every `<*>` and structured value, the level
 * mix, and which value the scorer reads as latency, status or bytes (found by writing a probe value
 * and parsing the line with parse.ts). Pure; used by the profile build.
 */
import { parseLine } from './parse';
import { bodySpacing, fillTemplate, learnSlot, slotValues, templateTokens } from './slot-stats';
import { isPartsLayout, layoutHoles, lineSkeleton, renderLine, withHoleStats, type LineSkeleton } from './line-layout';
import type { Level, LineLayout, ParsedEvent, SlotStat, WindowFeatures } from './types';

/** Default number of sample lines learned from per template. */
export const SHAPE_MAX_SAMPLES = 200;

/** What is learned for one template (the optional fields of ProfileTemplate). */
export interface TemplateShape {
  slots: SlotStat[];
  layout: LineLayout;
  levels: Partial<Record<Level, number>>;
}

/**
 * Sample lines per template id, in window order, evenly thinned to at most `max` per template.
 * @param windows - closed windows (any order; their `samples` hold one redacted line per template)
 * @param ids - templates to collect for
 */
export function collectSamples(windows: readonly WindowFeatures[], ids: ReadonlySet<string>, max = SHAPE_MAX_SAMPLES): Map<string, string[]> {
  const sorted = [...windows].sort((a, b) => a.windowStart - b.windowStart);
  const all = new Map<string, string[]>();
  for (const w of sorted) {
    for (const [id, line] of Object.entries(w.samples ?? {})) {
      if (!ids.has(id) || typeof line !== 'string') continue;
      let list = all.get(id);
      if (!list) all.set(id, (list = []));
      list.push(line);
    }
  }
  for (const [id, list] of all) {
    if (list.length <= max) continue;
    const step = list.length / max;
    all.set(id, Array.from({ length: max }, (_, i) => list[Math.floor(i * step)]));
  }
  return all;
}

interface Group {
  first: { skeleton: LineSkeleton; parsed: ParsedEvent; slots: string[] };
  holes: string[][];
  slots: string[][];
  levels: Map<Level, number>;
  spacing?: Array<[number, string]>;
  n: number;
}

const NUMBER = /^-?\d+(?:\.\d+)?$/;

function decimalsOf(s: string): number {
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

function probeValue(v: string): string {
  const x = Number(v);
  const d = decimalsOf(v);
  if (d === 0 && x >= 100 && x <= 599) return String(x >= 500 ? x - 100 : x + 100);
  return (x === 0 ? 7 : x * 3).toFixed(d);
}

/** Nearest of the units parse.ts converts from (ns, us, ms, s, min), in ms per unit. */
function snapUnit(u: number): number {
  const units = [1e-6, 1e-3, 1, 1000, 60_000];
  return units.reduce((best, x) => (Math.abs(Math.log(x / u)) < Math.abs(Math.log(best / u)) ? x : best), 1);
}

/**
 * Finds which numeric value feeds the scorer's latency, status or bytes: writes the sample again
 * with that one value changed and compares what parse.ts reads.
 */
function assignRoles(layout: LineLayout, tokens: ReturnType<typeof templateTokens>, g: Group, holeStats: SlotStat[], slotStats: SlotStat[], spacing?: Array<[number, string]>): void {
  const { parsed, skeleton, slots } = g.first;
  const write = (holes: string[], values: string[]): ParsedEvent =>
    parseLine(renderLine(layout, { t: parsed.timestamp, level: parsed.level, body: fillTemplate(tokens, values, spacing), holes }), parsed.timestamp);
  const base = write(skeleton.holes, slots);
  const check = (stat: SlotStat, value: string | undefined, probe: (v: string) => ParsedEvent): void => {
    if (value === undefined || !NUMBER.test(value) || stat.kind === 'time' || stat.kind === 'id') return;
    const p = probeValue(value);
    const got = probe(p);
    const dv = Number(p) - Number(value);
    if (got.numeric.latencyMs !== undefined && base.numeric.latencyMs !== undefined && got.numeric.latencyMs !== base.numeric.latencyMs) {
      stat.role = 'latency';
      stat.unit = snapUnit((got.numeric.latencyMs - base.numeric.latencyMs) / dv);
    } else if (got.status !== undefined && got.status !== base.status && String(got.status) === p) stat.role = 'status';
    else if (got.numeric.bytes !== undefined && got.numeric.bytes !== base.numeric.bytes) stat.role = 'bytes';
    else return;
    if (stat.decimals === undefined) stat.decimals = decimalsOf(value);
  };
  holeStats.forEach((stat, i) =>
    check(stat, skeleton.holes[i], (p) => write(skeleton.holes.map((h, j) => (j === i ? p : h)), slots)),
  );
  slotStats.forEach((stat, i) => check(stat, slots[i], (p) => write(skeleton.holes, slots.map((s, j) => (j === i ? p : s)))));
}

/** Whether the layout writes the template's body (else the body follows from the values, as for access lines). */
function bodyFromTemplate(layout: LineLayout): boolean {
  if (isPartsLayout(layout)) return layout.parts.some((p) => typeof p === 'object' && 'body' in p);
  return layout.fields.some((f) => f.role === 'msg');
}

/**
 * Learns a template's shape from its sample lines. Samples are grouped by how they are written;
 * the largest group wins (a template written two ways keeps its usual way). Samples whose body does
 * not fit the template are ignored.
 * @param template - the template text (`<*>` for parameters)
 * @param samples - redacted raw lines of that template
 * @returns undefined when no sample fits
 */
export function learnTemplateShape(template: string, samples: readonly string[]): TemplateShape | undefined {
  const tokens = templateTokens(template);
  const groups = new Map<string, Group>();
  for (const line of samples) {
    const parsed = parseLine(line, 0);
    const skeleton = lineSkeleton(line, parsed);
    if (!skeleton) continue;
    const values = slotValues(tokens, parsed.body);
    if (!values) continue;
    let g = groups.get(skeleton.key);
    if (!g) {
      groups.set(skeleton.key, (g = { first: { skeleton, parsed, slots: values }, holes: [], slots: [], levels: new Map(), n: 0 }));
      g.spacing = bodySpacing(tokens, parsed.body);
    }
    g.n++;
    g.holes.push(skeleton.holes);
    g.slots.push(values);
    g.levels.set(parsed.level, (g.levels.get(parsed.level) ?? 0) + 1);
  }
  let best: Group | undefined;
  for (const g of groups.values()) if (!best || g.n > best.n) best = g;
  if (!best) return undefined;
  const g = best;
  const base = g.first.skeleton.layout;
  const holeStats = layoutHoles(base).map((_, i) => learnSlot(g.holes.map((h) => h[i])));
  const slotStats = bodyFromTemplate(base) ? Array.from({ length: tokens.slots }, (_, i) => learnSlot(g.slots.map((s) => s[i]))) : [];
  const layout = withHoleStats(base, holeStats);
  if (g.spacing) layout.spacing = g.spacing;
  // withHoleStats copies the stats' containers but not the stats: roles are set on the copies in place.
  assignRoles(layout, tokens, g, layoutHoles(layout), slotStats, g.spacing);
  const levels: Partial<Record<Level, number>> = {};
  for (const [level, c] of [...g.levels].sort((a, b) => b[1] - a[1])) levels[level] = Number((c / g.n).toPrecision(4));
  return { slots: slotStats, layout, levels };
}

/** Bytes kept free below the profile's size limit when shapes are attached (model reference, etc.). */
export const SHAPE_RESERVE_BYTES = 1024;

/** Options of {@link attachShapes}. */
export interface AttachShapesOptions {
  /** Serialised size the profile must stay below. */
  maxBytes: number;
  /** Sample lines per template (default {@link SHAPE_MAX_SAMPLES}). */
  maxSamples?: number;
}

const utf8 = new TextEncoder();

/**
 * Learns and attaches shapes to a profile's templates (mutates them), most frequent first, while
 * the serialised profile stays below `maxBytes - SHAPE_RESERVE_BYTES`: the template dictionary
 * always comes first, shapes fill the room that is left.
 * @returns the number of templates that got a shape
 */
export function attachShapes(
  profile: { templates: Array<{ id: string; template: string } & Partial<TemplateShape>> },
  windows: readonly WindowFeatures[],
  options: AttachShapesOptions,
): number {
  const ids = new Set(profile.templates.map((t) => t.id));
  const samples = collectSamples(windows, ids, options.maxSamples ?? SHAPE_MAX_SAMPLES);
  let size = utf8.encode(JSON.stringify(profile)).length;
  const limit = options.maxBytes - SHAPE_RESERVE_BYTES;
  let attached = 0;
  for (const t of profile.templates) {
    const lines = samples.get(t.id);
    if (!lines || lines.length === 0) continue;
    const shape = learnTemplateShape(t.template, lines);
    if (!shape) continue;
    // `,"slots":...,"layout":...,"levels":...` added to the template's object.
    const add = utf8.encode(JSON.stringify(shape)).length - 1;
    if (size + add >= limit) continue;
    t.slots = shape.slots;
    t.layout = shape.layout;
    t.levels = shape.levels;
    size += add;
    attached++;
  }
  return attached;
}
