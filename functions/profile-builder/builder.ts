/**
 * Builds and publishes a partition's baseline profile from the window features stored in the
 * dataset bucket (written by the window closer, or by a history import) and the partition's template
 * catalogue. Windows of replayed scenario runs are left out, or with `scenarioData: "include"` only
 * their labelled incident windows (core/scenario-data). Used by the profile-builder Lambda and by
 * the embedded runtime.
 */
import { buildProfile } from '../core/profile';
import { leftOutSpans, splitScenarioWindows, type ScenarioDataMode, type ScenarioStretch, type ScenarioWindowCounts } from '../core/scenario-data';
import { forEachLimit } from '../core/concurrency';
import { catalogueKey, windowsPrefix } from '../core/resources';
import type { Level, OrderedPattern, Profile, WindowFeatures } from '../core/types';
import type { LearnedTemplate } from '../core/pipeline';
import type { ObjectStore } from '../adapters/object-store';
import type { ProfileStore } from '../adapters/profile-store';

/** The learned catalogue a history import stores beside the windows. */
export interface Catalogue {
  templates: LearnedTemplate[];
  patterns: OrderedPattern[];
}

/** What the builder needs. */
export interface ProfileBuilderDeps {
  datasets: ObjectStore;
  profiles: ProfileStore;
  /** Windows older than this many days before `now` are ignored. Default 14. */
  days?: number;
  /** Parallel S3 reads. Default 16. */
  readConcurrency?: number;
  /**
   * Stretches of the replayed scenario runs (functions/scenario/catalog.ts readScenarioStretches);
   * without them no window is known to be synthetic.
   */
  scenarioStretches?: readonly ScenarioStretch[];
  /** What to do with their windows (default `exclude`). */
  scenarioData?: ScenarioDataMode;
}

/** Outcome of one build. */
export interface BuildOutcome {
  partition: string;
  version: number;
  /** Windows the profile was built from. */
  windows: number;
  templates: number;
  patterns: number;
  published: boolean;
  /** Scenario runs' windows: left out, kept (clean stretches with `include`), incident windows left out. */
  scenarioWindows: ScenarioWindowCounts;
}

/** Reads every window-features object of a partition within [from, to). */
export async function loadWindows(datasets: Pick<ObjectStore, 'list' | 'getJson' | 'getJsonLines'>, partition: string, from: number, to: number, concurrency = 16): Promise<WindowFeatures[]> {
  const fromDate = new Date(from).toISOString().slice(0, 10);
  const toDate = new Date(to).toISOString().slice(0, 10);
  const keys = (await datasets.list(windowsPrefix(partition))).filter((k) => {
    const m = /date=(\d{4}-\d{2}-\d{2})/.exec(k);
    return m !== null && m[1] >= fromDate && m[1] <= toDate;
  });
  const out: WindowFeatures[] = [];
  await forEachLimit(keys, concurrency, async (key) => {
    if (key.endsWith('.jsonl.gz')) {
      for (const w of (await datasets.getJsonLines<WindowFeatures>(key)) ?? []) out.push(w);
    } else {
      const w = await datasets.getJson<WindowFeatures>(key);
      if (w) out.push(w);
    }
  });
  return out.filter((w) => w.windowStart >= from && w.windowStart < to).sort((a, b) => a.windowStart - b.windowStart);
}

/**
 * Reads the window-features objects of a partition that fall in any of `spans` (each `[start, end)`,
 * epoch ms): one listing, then only the day batches of the spans' days and the per-window objects
 * (`.../date=<d>/<HHMM>.json`) whose minute is in a span.
 * @returns the windows in the spans, sorted by window start
 */
export async function loadWindowSpans(datasets: Pick<ObjectStore, 'list' | 'getJson' | 'getJsonLines'>, partition: string, spans: ReadonlyArray<{ start: number; end: number }>, concurrency = 16): Promise<WindowFeatures[]> {
  if (spans.length === 0) return [];
  const DAY = 86_400_000;
  const inSpan = (t: number): boolean => spans.some((s) => t >= s.start && t < s.end);
  const days = new Set<string>();
  for (const s of spans) for (let d = Math.floor(s.start / DAY) * DAY; d < s.end; d += DAY) days.add(new Date(d).toISOString().slice(0, 10));
  const keys = (await datasets.list(windowsPrefix(partition))).filter((k) => {
    const m = /date=(\d{4}-\d{2}-\d{2})\/(?:(\d{2})(\d{2})\.json$)?/.exec(k);
    if (!m || !days.has(m[1])) return false;
    return m[2] === undefined || inSpan(Date.parse(`${m[1]}T${m[2]}:${m[3]}:00Z`));
  });
  const out: WindowFeatures[] = [];
  await forEachLimit(keys, concurrency, async (key) => {
    if (key.endsWith('.jsonl.gz')) {
      for (const w of (await datasets.getJsonLines<WindowFeatures>(key)) ?? []) if (inSpan(w.windowStart)) out.push(w);
    } else {
      const w = await datasets.getJson<WindowFeatures>(key);
      if (w && inSpan(w.windowStart)) out.push(w);
    }
  });
  return out.sort((a, b) => a.windowStart - b.windowStart);
}

/**
 * Builds the next profile version for a partition and flips CURRENT to it.
 * The template dictionary merges: the catalogue (history import), the previous profile's templates,
 * and templates first seen as new in the windows, with counts from the windows.
 */
export async function rebuildProfile(partition: string, now: number, deps: ProfileBuilderDeps): Promise<BuildOutcome> {
  const days = deps.days ?? 14;
  const all = await loadWindows(deps.datasets, partition, now - days * 86_400_000, now, deps.readConcurrency);
  const split = splitScenarioWindows(all, deps.scenarioStretches ?? [], deps.scenarioData ?? 'exclude');
  const windows = split.train;
  if (windows.length === 0) {
    throw new Error(
      `No window features for partition "${partition}" in the last ${days} days${all.length ? ` outside scenario runs (${all.length} windows, all synthetic; "scenarioData": "include" keeps their clean stretches)` : ''}: nothing to build a profile from.`,
    );
  }
  const previous = await deps.profiles.getCurrent(partition);
  const catalogue = await deps.datasets.getJson<Catalogue>(catalogueKey(partition));

  const templates = new Map<string, { id: string; template: string; count: number; level: Level }>();
  for (const t of catalogue?.templates ?? []) templates.set(t.id, { ...t, count: 0 });
  for (const t of previous?.templates ?? []) if (!templates.has(t.id)) templates.set(t.id, { id: t.id, template: t.template, count: 0, level: t.level });
  for (const w of windows) {
    for (const [id, text] of Object.entries(w.newTemplates)) {
      if (!templates.has(id)) templates.set(id, { id, template: text, count: 0, level: 'UNKNOWN' });
    }
    for (const [id, n] of Object.entries(w.templates)) {
      const t = templates.get(id);
      if (t) t.count += n;
    }
  }
  const version = Math.max(previous?.version ?? 0, await deps.profiles.currentVersion(partition)) + 1;
  const profile: Profile = buildProfile({
    partition,
    windows,
    templates: [...templates.values()].filter((t) => t.count > 0),
    patterns: catalogue?.patterns ?? previous?.patterns ?? [],
    version,
    builtAt: now,
    sensitivity: previous?.sensitivity,
    // Minutes of scenario runs left out are not silence.
    leftOut: leftOutSpans(partition, deps.scenarioStretches ?? [], deps.scenarioData ?? 'exclude'),
  });
  const published = await deps.profiles.publish(profile);
  return { partition, version, windows: windows.length, templates: profile.templates.length, patterns: profile.patterns.length, published, scenarioWindows: split.counts };
}

/** Every partition with window features in the dataset bucket. */
export async function partitionsWithWindows(datasets: ObjectStore): Promise<string[]> {
  const keys = await datasets.list('windows/');
  const set = new Set<string>();
  for (const k of keys) {
    const m = /^windows\/partition=([^/]+)\//.exec(k);
    if (m) set.add(decodeURIComponent(m[1]));
  }
  return [...set].sort();
}
