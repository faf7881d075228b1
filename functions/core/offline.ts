/**
 * Offline learning and scoring over plain event iterables: history imports (the demo's baseline
 * week) and `harbinger score` on log files. Same parse/template/feature/detector code as the Lambdas.
 */
import { parseLine } from './parse';
import { partitionOf, type PartitionRule } from './partition';
import { TemplateDictionary, TemplateResolver } from './templates';
import { learnPatterns, PatternTracker } from './patterns';
import { buildProfile } from './profile';
import { addPatternViolations, emptyPartial, mergePartials, windowFeatures, minuteOf } from './features';
import { scoreWindow } from './scoring';
import { aggregate, contextFromProfile, processEvent, TemplateLearner, windowKey, type LearnedTemplate, type PartitionContext, type ProcessedEvent } from './pipeline';
import type { Anomaly, LogEvent, OrderedPattern, Profile, WindowFeatures, WindowPartial } from './types';

/** Options shared by the offline functions. */
export interface OfflineOptions {
  rules: PartitionRule[];
  defaultRegion: string;
  /** Progress callback: events processed so far and the pass (1 = templates, 2 = windows). */
  onProgress?: (done: number, pass: 1 | 2) => void;
  /** Max events kept per log stream for ordered-pattern learning. Default 5,000. */
  patternSampleSize?: number;
  /**
   * Events (from the start of the history) that the template miner learns from in pass 1. Default
   * 400,000: enough for the dictionary; lines it never saw resolve as candidates in pass 2 and
   * still reach the profile through the windows' new-template texts.
   */
  templateSampleEvents?: number;
}

/** What was learned for one partition. */
export interface LearnedPartition {
  partition: string;
  windows: WindowFeatures[];
  templates: LearnedTemplate[];
  patterns: OrderedPattern[];
}

/**
 * Learns templates (pass 1), then window features and ordered patterns (pass 2) from history.
 * @param events - a factory, called twice, that yields the same events each time
 */
export function learnHistory(events: () => Iterable<LogEvent>, options: OfflineOptions): Map<string, LearnedPartition> {
  const learner = new TemplateLearner();
  let n = 0;
  const sample = options.templateSampleEvents ?? 400_000;
  for (const e of events()) {
    learner.add(partitionOf(e.logGroup, options.rules, options.defaultRegion).key, parseLine(e.message, e.timestamp));
    if (++n % 50_000 === 0) options.onProgress?.(n, 1);
    if (n >= sample) break;
  }
  options.onProgress?.(n, 1);
  const resolvers = new Map<string, TemplateResolver>();
  const templates = new Map<string, LearnedTemplate[]>();
  for (const p of learner.partitions()) {
    const t = learner.templates(p);
    templates.set(p, t);
    resolvers.set(p, new TemplateResolver(new TemplateDictionary(t.map(({ id, template }) => ({ id, template })))));
  }
  const sampleSize = options.patternSampleSize ?? 5_000;
  // Every event's (time, stream, template) per partition, compactly, to replay through the learned
  // ordered patterns once they are known: history windows then count violations exactly as the
  // scorer will, so the baseline of `patternViolations` is the real one, not zero.
  const trails = new Map<string, Trail>();
  const sequences = new Map<string, Map<string, Array<{ ts: number; templateId: string }>>>();
  const processed: ProcessedEvent[] = [];
  const partials = new Map<string, ReturnType<typeof emptyPartial>>();
  n = 0;
  const flush = (): void => {
    for (const [k, p] of aggregate(processed)) {
      const prev = partials.get(k);
      partials.set(k, prev ? mergePartials(prev, p) : p);
    }
    processed.length = 0;
  };
  for (const e of events()) {
    const partition = partitionOf(e.logGroup, options.rules, options.defaultRegion).key;
    let resolver = resolvers.get(partition);
    // A partition that first shows up after the template sample: its lines resolve as candidates.
    if (!resolver) resolvers.set(partition, (resolver = new TemplateResolver(new TemplateDictionary([]))));
    const pe = processEvent(e, partition, { resolver });
    processed.push(pe);
    let byStream = sequences.get(partition);
    if (!byStream) sequences.set(partition, (byStream = new Map()));
    const stream = `${e.logGroup}/${e.logStream}`;
    let seq = byStream.get(stream);
    if (!seq) byStream.set(stream, (seq = []));
    if (seq.length < sampleSize) seq.push({ ts: e.timestamp, templateId: pe.match.templateId });
    let trail = trails.get(partition);
    if (!trail) trails.set(partition, (trail = new Trail()));
    trail.push(e.timestamp, stream, pe.match.templateId);
    if (processed.length >= 20_000) flush();
    if (++n % 50_000 === 0) options.onProgress?.(n, 2);
  }
  flush();
  options.onProgress?.(n, 2);
  const out = new Map<string, LearnedPartition>();
  for (const p of new Set([...learner.partitions(), ...resolvers.keys()])) {
    out.set(p, { partition: p, windows: [], templates: templates.get(p) ?? [], patterns: learnPatterns(sequences.get(p) ?? new Map()) });
  }
  for (const l of out.values()) {
    if (l.patterns.length === 0) continue;
    const tracker = new PatternTracker(l.patterns);
    trails.get(l.partition)?.forEach((ts, stream, templateId) => {
      const v = tracker.observe(stream, templateId, ts);
      if (v.length) addPatternViolations(partials.get(windowKey(l.partition, minuteOf(ts)))!, v);
    });
  }
  for (const partial of partials.values()) out.get(partial.partition)!.windows.push(windowFeatures(partial));
  for (const l of out.values()) l.windows.sort((a, b) => a.windowStart - b.windowStart);
  return out;
}

/** Builds a profile (version 1) from a learned partition. */
export function profileFromLearned(l: LearnedPartition, builtAt: number, version = 1): Profile {
  return buildProfile({
    partition: l.partition,
    windows: l.windows,
    templates: l.templates,
    patterns: l.patterns,
    version,
    builtAt,
  });
}

/** Result of {@link eventWindows}. */
export interface EventWindows {
  /** Partition -> its windows (minutes with at least one event), sorted by window start. */
  byPartition: Map<string, WindowFeatures[]>;
  /** Events turned into windows. */
  events: number;
  /** Latest event time seen, epoch ms (0 when none). */
  lastTs: number;
  /** Partitions whose events were skipped (no context for them). */
  skipped: string[];
}

/**
 * Window features of events through the scorer's own path without any emulator: partition from
 * the log group, parse, template against the partition's dictionary, ordered patterns per log
 * stream, per-minute partial aggregates, window features. Events must come in time order per log
 * stream (as the scorer sees them); partials are merged as they go, so memory follows the windows.
 * @param contextOf - a partition's context (its CURRENT profile's dictionary and patterns; see
 *   contextFromProfile), called once per partition; undefined skips the partition's events
 */
export function eventWindows(events: Iterable<LogEvent>, contextOf: (partition: string) => PartitionContext | undefined, options: Pick<OfflineOptions, 'rules' | 'defaultRegion' | 'onProgress'>): EventWindows {
  const contexts = new Map<string, PartitionContext | undefined>();
  const processed: ProcessedEvent[] = [];
  const partials = new Map<string, WindowPartial>();
  const flush = (): void => {
    for (const [k, p] of aggregate(processed)) {
      const prev = partials.get(k);
      partials.set(k, prev ? mergePartials(prev, p) : p);
    }
    processed.length = 0;
  };
  const skipped = new Set<string>();
  let n = 0;
  let lastTs = 0;
  for (const e of events) {
    const partition = partitionOf(e.logGroup, options.rules, options.defaultRegion).key;
    if (!contexts.has(partition)) contexts.set(partition, contextOf(partition));
    const ctx = contexts.get(partition);
    if (!ctx) {
      skipped.add(partition);
      continue;
    }
    processed.push(processEvent(e, partition, ctx));
    lastTs = Math.max(lastTs, e.timestamp);
    if (processed.length >= 20_000) flush();
    if (++n % 50_000 === 0) options.onProgress?.(n, 2);
  }
  flush();
  const byPartition = new Map<string, WindowFeatures[]>();
  for (const p of partials.values()) {
    const list = byPartition.get(p.partition) ?? [];
    list.push(windowFeatures(p));
    byPartition.set(p.partition, list);
  }
  for (const list of byPartition.values()) list.sort((a, b) => a.windowStart - b.windowStart);
  return { byPartition, events: n, lastTs, skipped: [...skipped].sort() };
}

/** Result of {@link scoreEvents}. */
export interface OfflineScore {
  windows: number;
  events: number;
  anomalies: Anomaly[];
  /** Partitions in the input that had no profile (not scored). */
  unprofiled: string[];
}

/**
 * Scores events against profiles, window by window in time order per partition, filling silent
 * minutes between a partition's first and last window with empty windows (a silent service is an
 * anomaly too).
 */
export function scoreEvents(events: Iterable<LogEvent>, profiles: Map<string, Profile>, options: OfflineOptions & { now?: number }): OfflineScore {
  const seen = eventWindows(events, (partition) => {
    const profile = profiles.get(partition);
    return profile ? contextFromProfile(profile) : undefined;
  }, options);
  const anomalies: Anomaly[] = [];
  let windows = 0;
  const lastMinute = minuteOf(seen.lastTs);
  for (const [partition, list] of seen.byPartition) {
    const profile = profiles.get(partition)!;
    const byStart = new Map(list.map((w) => [w.windowStart, w]));
    const first = list.reduce((m, w) => Math.min(m, w.windowStart), Infinity);
    let recent: WindowFeatures[] = [];
    let rolling: Record<string, unknown> = {};
    for (let t = first; t <= lastMinute; t += 60_000) {
      const w = byStart.get(t) ?? windowFeatures(emptyPartial(partition, t));
      const r = scoreWindow(w, { profile, recent, rolling: rolling as never }, { now: options.now ?? t + 60_000 });
      rolling = r.rolling as Record<string, unknown>;
      if (r.anomaly) anomalies.push(r.anomaly);
      recent = [...recent, w].slice(-15);
      windows++;
    }
  }
  anomalies.sort((a, b) => a.windowStart - b.windowStart || a.partition.localeCompare(b.partition));
  return { windows, events: seen.events, anomalies, unprofiled: seen.skipped };
}

/** A compact, growable column store of (time, stream, template) triples in arrival order. */
class Trail {
  private ts = new Float64Array(1024);
  private stream = new Int32Array(1024);
  private template = new Int32Array(1024);
  private n = 0;
  private readonly streams: string[] = [];
  private readonly streamIndex = new Map<string, number>();
  private readonly templates: string[] = [];
  private readonly templateIndex = new Map<string, number>();

  push(ts: number, stream: string, templateId: string): void {
    if (this.n === this.ts.length) {
      const grow = <T extends Float64Array | Int32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.ts = grow(this.ts);
      this.stream = grow(this.stream);
      this.template = grow(this.template);
    }
    this.ts[this.n] = ts;
    this.stream[this.n] = Trail.intern(stream, this.streams, this.streamIndex);
    this.template[this.n] = Trail.intern(templateId, this.templates, this.templateIndex);
    this.n++;
  }

  forEach(fn: (ts: number, stream: string, templateId: string) => void): void {
    for (let i = 0; i < this.n; i++) fn(this.ts[i], this.streams[this.stream[i]], this.templates[this.template[i]]);
  }

  private static intern(value: string, list: string[], index: Map<string, number>): number {
    let i = index.get(value);
    if (i === undefined) {
      index.set(value, (i = list.length));
      list.push(value);
    }
    return i;
  }
}
