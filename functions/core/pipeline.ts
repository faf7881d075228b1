/**
 * The per-event path shared by the scorer Lambda and the offline tools (history, `harbinger score`):
 * parse -> template -> window partial. Pure: callers bring the profile-derived context.
 */
import { parseLine } from './parse';
import { TemplateDictionary, TemplateResolver, DrainMiner } from './templates';
import { PatternTracker } from './patterns';
import { addEvent, addPatternViolations, emptyPartial, minuteOf } from './features';
import { redact } from './redact';
import type { Level, LogEvent, ParsedEvent, Profile, TemplateMatch, WindowPartial } from './types';

/** What the pipeline needs to know about one partition: its dictionary and its ordered patterns. */
export interface PartitionContext {
  resolver: TemplateResolver;
  tracker?: PatternTracker;
}

/** Builds the per-partition context from its CURRENT profile (or an empty one when none exists yet). */
export function contextFromProfile(profile: Profile | null): PartitionContext {
  const dictionary = new TemplateDictionary(profile ? profile.templates.map((t) => ({ id: t.id, template: t.template })) : []);
  return {
    resolver: new TemplateResolver(dictionary),
    tracker: profile && profile.patterns.length ? new PatternTracker(profile.patterns) : undefined,
  };
}

/** One event after parsing and template resolution. */
export interface ProcessedEvent {
  partition: string;
  /** Minute the event belongs to, by its own (envelope) timestamp. */
  windowStart: number;
  parsed: ParsedEvent;
  match: TemplateMatch;
  raw: string;
  /** Ordered-pattern ids this event (or its stream's expiries) violated. */
  violations: string[];
}

/**
 * Parses one event, resolves its template against the partition's dictionary, and checks ordered
 * patterns within its log stream.
 */
export function processEvent(event: LogEvent, partition: string, ctx: PartitionContext): ProcessedEvent {
  const parsed = parseLine(event.message, event.timestamp);
  const match = ctx.resolver.resolve(parsed.body);
  const violations = ctx.tracker ? ctx.tracker.observe(`${event.logGroup}/${event.logStream}`, match.templateId, event.timestamp) : [];
  return { partition, windowStart: minuteOf(event.timestamp), parsed, match, raw: event.message, violations };
}

/** Adds a processed event to a partial (the sample line is redacted here, once). */
export function addProcessed(partial: WindowPartial, e: ProcessedEvent): void {
  const needsSample = partial.samples[e.match.templateId] === undefined;
  addEvent(partial, { parsed: e.parsed, match: e.match, raw: e.raw, sample: needsSample ? redact(e.raw) : undefined });
  if (e.violations.length) addPatternViolations(partial, e.violations);
}

/** Groups processed events into partials by (partition, minute). */
export function aggregate(events: Iterable<ProcessedEvent>): Map<string, WindowPartial> {
  const out = new Map<string, WindowPartial>();
  for (const e of events) {
    const key = windowKey(e.partition, e.windowStart);
    let p = out.get(key);
    if (!p) out.set(key, (p = emptyPartial(e.partition, e.windowStart)));
    addProcessed(p, e);
  }
  return out;
}

/** Map key of a (partition, minute). */
export function windowKey(partition: string, windowStart: number): string {
  return `${partition}|${windowStart}`;
}

/** A template learned from history, with the level most of its lines had. */
export interface LearnedTemplate {
  id: string;
  template: string;
  count: number;
  level: Level;
}

/**
 * Learns a partition's template dictionary from history with a Drain miner. Offline tools mine first
 * and resolve second, so every window of the history uses the final (generalised) template ids.
 */
export class TemplateLearner {
  private readonly miners = new Map<string, DrainMiner>();
  private readonly levels = new Map<string, Map<string, Partial<Record<Level, number>>>>();

  /** Feeds one parsed line of a partition. */
  add(partition: string, parsed: ParsedEvent): void {
    let miner = this.miners.get(partition);
    if (!miner) this.miners.set(partition, (miner = new DrainMiner()));
    const r = miner.add(parsed.body);
    let lv = this.levels.get(partition);
    if (!lv) this.levels.set(partition, (lv = new Map()));
    // Levels are tallied per cluster id at the time of the line; resolved to final ids in templates().
    const byTemplate = lv.get(r.template) ?? {};
    byTemplate[parsed.level] = (byTemplate[parsed.level] ?? 0) + 1;
    lv.set(r.template, byTemplate);
  }

  /** Partitions seen so far. */
  partitions(): string[] {
    return [...this.miners.keys()].sort();
  }

  /** The learned templates of a partition with their dominant level. */
  templates(partition: string): LearnedTemplate[] {
    const miner = this.miners.get(partition);
    if (!miner) return [];
    const finals = miner.templates();
    const dictionary = new TemplateDictionary(finals.map((t) => ({ id: t.id, template: t.template })));
    const levelByFinal = new Map<string, Partial<Record<Level, number>>>();
    for (const [template, counts] of this.levels.get(partition) ?? []) {
      const hit = dictionary.match(template);
      if (!hit) continue;
      const acc = levelByFinal.get(hit.id) ?? {};
      for (const [l, n] of Object.entries(counts)) acc[l as Level] = (acc[l as Level] ?? 0) + (n ?? 0);
      levelByFinal.set(hit.id, acc);
    }
    return finals.map((t) => {
      const counts = levelByFinal.get(t.id) ?? {};
      const level = (Object.entries(counts).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))[0]?.[0] ?? 'INFO') as Level;
      return { id: t.id, template: t.template, count: t.count, level };
    });
  }
}
