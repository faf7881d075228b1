/**
 * Synthetic window data for the core unit tests: a seasonal, Poisson-noisy service whose events go
 * through the real addEvent/windowFeatures path. Deterministic (seeded).
 */
import { addEvent, emptyPartial, windowFeatures } from '../../functions/core/features';
import { stableHash } from '../../functions/core/hash';
import { buildProfile } from '../../functions/core/profile';
import { mulberry32, normal, poisson } from '../../functions/core/random';
import type { Level, ParsedEvent, Profile, WindowFeatures, WindowPartial } from '../../functions/core/types';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
/** Monday 2024-01-01T00:00:00Z. */
export const T0 = Date.UTC(2024, 0, 1);

export interface Tpl {
  id: string;
  template: string;
  level: Level;
  weight: number;
}

function makeTemplates(): Tpl[] {
  const out: Tpl[] = [];
  for (let i = 0; i < 16; i++) out.push({ id: stableHash(`info-${i}`), template: `request ${i} handled <*> in <*> ms`, level: 'INFO', weight: 1 / (i + 1) });
  for (let i = 0; i < 3; i++) out.push({ id: stableHash(`warn-${i}`), template: `slow dependency ${i} <*>`, level: 'WARN', weight: 1 / (i + 1) });
  for (let i = 0; i < 3; i++) out.push({ id: stableHash(`error-${i}`), template: `upstream ${i} failed <*>`, level: 'ERROR', weight: 1 / (i + 1) });
  return out;
}
export const TEMPLATES = makeTemplates();

export interface GenOptions {
  partition?: string;
  /** Mean events per minute at the daily average. */
  base?: number;
  errorRate?: number;
  warnRate?: number;
  latencyMedian?: number;
  /** Multiplicative per-minute jitter (lognormal sigma) on the rate, default 0.05. */
  jitter?: number;
}

/** Per-minute overrides for incidents. */
export interface Incident {
  errorRate?: number;
  latencyFactor?: number;
  volumeFactor?: number;
  /** Extra events of a brand-new template. */
  newTemplate?: { id: string; template: string; level: Level; count: number };
}

/** Expected rate multiplier at time t: daily curve (peak mid-afternoon UTC) and quieter weekends. */
export function seasonal(t: number): number {
  const d = new Date(t);
  const h = d.getUTCHours() + d.getUTCMinutes() / 60;
  const daily = 1 + 0.6 * Math.sin((2 * Math.PI * (h - 8)) / 24);
  const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6 ? 0.7 : 1;
  return daily * weekend;
}

function pick(rng: () => number, items: Tpl[]): Tpl {
  const total = items.reduce((s, t) => s + t.weight, 0);
  let r = rng() * total;
  for (const t of items) {
    r -= t.weight;
    if (r <= 0) return t;
  }
  return items[items.length - 1];
}

/** Generates one minute's partial. */
export function genMinute(rng: () => number, t: number, o: GenOptions = {}, inc: Incident = {}): WindowPartial {
  const partition = o.partition ?? 'checkout#eu-west-1';
  const p = emptyPartial(partition, t);
  const lambda = (o.base ?? 60) * seasonal(t) * Math.exp((o.jitter ?? 0.05) * normal(rng)) * (inc.volumeFactor ?? 1);
  const n = poisson(rng, lambda);
  const errorRate = inc.errorRate ?? o.errorRate ?? 0.01;
  const warnRate = o.warnRate ?? 0.03;
  const latMed = (o.latencyMedian ?? 80) * (inc.latencyFactor ?? 1);
  const infos = TEMPLATES.filter((x) => x.level === 'INFO');
  const warns = TEMPLATES.filter((x) => x.level === 'WARN');
  const errors = TEMPLATES.filter((x) => x.level === 'ERROR');
  const emit = (tpl: { id: string; template: string; level: Level }, isNew: boolean): void => {
    const ts = t + Math.floor(rng() * MINUTE);
    const latencyMs = Math.round(latMed * Math.exp(0.5 * normal(rng)) * (tpl.level === 'ERROR' ? 2 : 1));
    const status = tpl.level === 'ERROR' ? 503 : rng() < 0.02 ? 404 : 200;
    const parsed: ParsedEvent = {
      timestamp: ts,
      level: tpl.level,
      format: 'json',
      body: tpl.template,
      status,
      numeric: { latencyMs, bytes: Math.round(2000 * Math.exp(0.3 * normal(rng))) },
      fields: {},
    };
    const raw = `${new Date(ts).toISOString()} ${tpl.level} ${tpl.template.replace(/<\*>/g, String(latencyMs))}`;
    addEvent(p, { parsed, match: { templateId: tpl.id, template: tpl.template, isNew }, raw, sample: raw });
  };
  for (let i = 0; i < n; i++) {
    const r = rng();
    const tpl = r < errorRate ? pick(rng, errors) : r < errorRate + warnRate ? pick(rng, warns) : pick(rng, infos);
    emit(tpl, false);
  }
  if (inc.newTemplate) for (let i = 0; i < inc.newTemplate.count; i++) emit(inc.newTemplate, true);
  return p;
}

/** Windows for [start, start + minutes), optional incidents by minute offset. */
export function genWindows(
  seed: number,
  start: number,
  minutes: number,
  o: GenOptions = {},
  incidents: (offset: number) => Incident | undefined = () => undefined,
): WindowFeatures[] {
  const rng = mulberry32(seed);
  const out: WindowFeatures[] = [];
  for (let m = 0; m < minutes; m++) {
    const t = start + m * MINUTE;
    out.push(windowFeatures(genMinute(rng, t, o, incidents(m) ?? {})));
  }
  return out;
}

/** A profile trained on `days` days before `T0 + days * DAY` (template counts from the windows). */
export function trainProfile(seed: number, o: GenOptions = {}, days = 7): { profile: Profile; training: WindowFeatures[] } {
  const training = genWindows(seed, T0, days * 24 * 60, o);
  const counts = new Map<string, number>();
  for (const w of training) for (const [id, n] of Object.entries(w.templates)) counts.set(id, (counts.get(id) ?? 0) + n);
  const profile = buildProfile({
    partition: o.partition ?? 'checkout#eu-west-1',
    windows: training,
    templates: TEMPLATES.map((t) => ({ id: t.id, template: t.template, count: counts.get(t.id) ?? 0, level: t.level })),
    version: 3,
    builtAt: T0 + days * DAY,
  });
  return { profile, training };
}
