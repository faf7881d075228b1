/**
 * Ordered temporal patterns per log stream: "when template A occurs, template B follows within
 * maxGapMs". Learned from training sequences; checked online by {@link PatternTracker}.
 *
 * Matching semantics (identical in learning and tracking): each B consumes the oldest pending A of
 * the same stream that is not older than the gap; an A that nobody consumed within the gap is a
 * violation ("A without B"); a B that finds no pending A is a violation ("B without A").
 */
import { stableHash } from './hash';
import type { OrderedPattern } from './types';

/** Options of {@link learnPatterns}. */
export interface LearnPatternsOptions {
  /** Maximum time between A and its B (default 30,000 ms). */
  maxGapMs?: number;
  /**
   * Minimum share of A's matched by a B within the gap AND of B's preceded by a pending A
   * (default 0.9). Requiring both directions keeps patterns whose violations are meaningful in
   * both checks (a ubiquitous B would otherwise "follow" everything).
   */
  minSupport?: number;
  /** Minimum occurrences of A and of B in the training data (default 20). */
  minOccurrences?: number;
  /** Keep at most this many patterns, strongest first (default 200). */
  maxPatterns?: number;
  /** Forward look-ahead cap per event when collecting candidate pairs (default 200 events). */
  maxLookahead?: number;
}

interface Ev {
  ts: number;
  templateId: string;
}

/** Pattern id: `stableHash("a>b")`. */
export function patternId(a: string, b: string): string {
  return stableHash(`${a}>${b}`);
}

/**
 * Learns ordered patterns from per-stream sequences.
 * `support` is the share of A occurrences followed by their B within the gap (forward support);
 * the backward support (share of B's preceded by an A) must reach `minSupport` as well.
 * Occurrences too close to the end (A) or start (B) of a stream's data are censored.
 */
export function learnPatterns(
  sequences: Map<string, Array<{ ts: number; templateId: string }>>,
  options: LearnPatternsOptions = {},
): OrderedPattern[] {
  const maxGap = options.maxGapMs ?? 30_000;
  const minSupport = options.minSupport ?? 0.9;
  const minOcc = options.minOccurrences ?? 20;
  const maxPatterns = options.maxPatterns ?? 200;
  const lookahead = options.maxLookahead ?? 200;

  const streams: Array<{ events: Ev[]; start: number; end: number; byTemplate: Map<string, number[]> }> = [];
  const occA = new Map<string, number>();
  const cooc = new Map<string, Map<string, number>>();

  for (const seq of sequences.values()) {
    if (seq.length === 0) continue;
    const events = [...seq].sort((x, y) => x.ts - y.ts);
    const start = events[0].ts;
    const end = events[events.length - 1].ts;
    const byTemplate = new Map<string, number[]>();
    events.forEach((e, i) => {
      let l = byTemplate.get(e.templateId);
      if (!l) byTemplate.set(e.templateId, (l = []));
      l.push(i);
    });
    streams.push({ events, start, end, byTemplate });
    for (let i = 0; i < events.length; i++) {
      const a = events[i];
      if (a.ts + maxGap > end) continue; // censored: its B may lie beyond the data
      occA.set(a.templateId, (occA.get(a.templateId) ?? 0) + 1);
      const seen = new Set<string>();
      for (let j = i + 1; j < events.length && j <= i + lookahead; j++) {
        const b = events[j];
        if (b.ts - a.ts > maxGap) break;
        if (b.templateId !== a.templateId) seen.add(b.templateId);
      }
      if (seen.size === 0) continue;
      let m = cooc.get(a.templateId);
      if (!m) cooc.set(a.templateId, (m = new Map()));
      for (const b of seen) m.set(b, (m.get(b) ?? 0) + 1);
    }
  }

  const found: Array<OrderedPattern & { occ: number }> = [];
  for (const [a, m] of cooc) {
    const na = occA.get(a) ?? 0;
    if (na < minOcc) continue;
    for (const [b, c] of m) {
      if (c / na < minSupport) continue;
      let aCounted = 0;
      let aMatched = 0;
      let bCounted = 0;
      let bMatched = 0;
      for (const s of streams) {
        const ia = s.byTemplate.get(a) ?? [];
        const ib = s.byTemplate.get(b) ?? [];
        const pending: number[] = [];
        let x = 0;
        let y = 0;
        while (x < ia.length || y < ib.length) {
          const takeA = y >= ib.length || (x < ia.length && ia[x] < ib[y]);
          if (takeA) {
            pending.push(s.events[ia[x++]].ts);
            continue;
          }
          const tb = s.events[ib[y++]].ts;
          // Stale A's ahead of the queue are violations (when not censored).
          while (pending.length > 0 && tb - pending[0] > maxGap) {
            pending.shift();
            aCounted++;
          }
          const bCensored = tb - maxGap < s.start;
          if (pending.length > 0) {
            pending.shift();
            aCounted++;
            aMatched++;
            if (!bCensored) {
              bCounted++;
              bMatched++;
            }
          } else if (!bCensored) {
            bCounted++;
          }
        }
        for (const ta of pending) if (ta + maxGap <= s.end) aCounted++;
      }
      if (aCounted < minOcc || bCounted < minOcc) continue;
      const fwd = aMatched / aCounted;
      const bwd = bMatched / bCounted;
      if (fwd < minSupport || bwd < minSupport) continue;
      found.push({ id: patternId(a, b), a, b, maxGapMs: maxGap, support: Number(fwd.toFixed(4)), occ: aCounted });
    }
  }
  found.sort((p, q) => q.support - p.support || q.occ - p.occ || (p.id < q.id ? -1 : 1));
  return found.slice(0, maxPatterns).map(({ occ: _occ, ...p }) => p);
}

/** Options of {@link PatternTracker}. */
export interface PatternTrackerOptions {
  /** Pending A's kept per (stream, pattern); the oldest is dropped beyond it (default 100). */
  maxPendingPerPattern?: number;
  /** Streams tracked; the least recently seen is dropped beyond it (default 5,000). */
  maxStreams?: number;
}

/** Serialised tracker state (see {@link PatternTracker.snapshot}). */
export interface PatternTrackerSnapshot {
  v: 1;
  /** [stream, patternId -> pending A timestamps], least recently seen stream first. */
  streams: Array<[string, Record<string, number[]>]>;
}

/**
 * Online checker of ordered patterns, one process's view of its log streams (streams stay on one
 * shard with ByLogStream distribution). Memory is bounded by `maxStreams * patterns *
 * maxPendingPerPattern`; streams with nothing pending take no memory.
 */
export class PatternTracker {
  private readonly byA = new Map<string, OrderedPattern[]>();
  private readonly byB = new Map<string, OrderedPattern[]>();
  private readonly known = new Set<string>();
  private readonly gapOf = new Map<string, number>();
  private readonly streams = new Map<string, Map<string, number[]>>();
  /**
   * When this tracker first saw each stream. A B is only a violation once the tracker has watched
   * its stream for longer than the pattern's gap: a fresh tracker (a Lambda cold start, a new shard
   * owner) cannot know about A's that happened before it started.
   */
  private readonly watchingSince = new Map<string, number>();
  private readonly maxPending: number;
  private readonly maxStreams: number;
  /** Pending A's dropped because of the memory bounds (not reported as violations). */
  dropped = 0;

  constructor(patterns: OrderedPattern[], options: PatternTrackerOptions = {}) {
    this.maxPending = options.maxPendingPerPattern ?? 100;
    this.maxStreams = options.maxStreams ?? 5000;
    for (const p of patterns) {
      this.known.add(p.id);
      this.gapOf.set(p.id, p.maxGapMs);
      const la = this.byA.get(p.a) ?? [];
      la.push(p);
      this.byA.set(p.a, la);
      const lb = this.byB.get(p.b) ?? [];
      lb.push(p);
      this.byB.set(p.b, lb);
    }
  }

  /**
   * Observes one event of a stream.
   * @returns ids of patterns violated now: pending A's of this stream whose gap has passed (A without
   * B), and this event being a B with no pending A within the gap (B without A)
   */
  observe(stream: string, templateId: string, ts: number): string[] {
    const violations: string[] = [];
    const asB = this.byB.get(templateId);
    const asA = this.byA.get(templateId);
    if (!asA && !asB) return violations;
    let since = this.watchingSince.get(stream);
    if (since === undefined) {
      this.watchingSince.set(stream, (since = ts));
      if (this.watchingSince.size > this.maxStreams) this.watchingSince.delete(this.watchingSince.keys().next().value as string);
    }
    let state = this.streams.get(stream);
    if (state) {
      this.streams.delete(stream); // LRU: re-insert at the end
      this.streams.set(stream, state);
      // A stream's events arrive in order (one stream stays on one shard), so a later event of the
      // same stream past an A's gap proves that A got no B in time: "A without B".
      for (const [id, q] of state) {
        const gap = this.gapOf.get(id) ?? 0;
        while (q.length && q[0] + gap < ts) {
          q.shift();
          violations.push(id);
        }
        if (q.length === 0) state.delete(id);
      }
    }
    if (asB) {
      for (const p of asB) {
        const q = state?.get(p.id);
        const idx = q ? q.findIndex((ta) => ts - ta <= p.maxGapMs) : -1;
        if (q && idx >= 0) {
          q.splice(idx, 1);
          if (q.length === 0) state!.delete(p.id);
        } else if (ts - since > p.maxGapMs) {
          violations.push(p.id);
        }
      }
    }
    if (asA) {
      if (!state) {
        state = new Map();
        this.streams.set(stream, state);
        this.evict();
      }
      for (const p of asA) {
        let q = state.get(p.id);
        if (!q) state.set(p.id, (q = []));
        q.push(ts);
        if (q.length > this.maxPending) {
          q.shift();
          this.dropped++;
        }
      }
    }
    if (state && state.size === 0) this.streams.delete(stream);
    return violations;
  }

  /**
   * Expires pending A's whose gap has passed by `nowTs` (event time).
   * @returns one pattern id per expired A ("A without B")
   */
  expire(nowTs: number): string[] {
    const violations: string[] = [];
    const gap = new Map<string, number>();
    for (const ps of this.byA.values()) for (const p of ps) gap.set(p.id, p.maxGapMs);
    for (const [stream, state] of this.streams) {
      for (const [id, q] of state) {
        const g = gap.get(id) ?? 0;
        const keep: number[] = [];
        for (let i = 0; i < q.length; i++) {
          if (q[i] + g < nowTs) violations.push(id);
          else keep.push(q[i]);
        }
        if (keep.length === 0) state.delete(id);
        else state.set(id, keep);
      }
      if (state.size === 0) this.streams.delete(stream);
    }
    return violations;
  }

  /** Number of streams with pending A's. */
  get trackedStreams(): number {
    return this.streams.size;
  }

  /** JSON-serialisable state (pending A's per stream and pattern). */
  snapshot(): PatternTrackerSnapshot {
    const streams: PatternTrackerSnapshot['streams'] = [];
    for (const [stream, state] of this.streams) {
      const rec: Record<string, number[]> = {};
      for (const [id, q] of state) rec[id] = [...q];
      streams.push([stream, rec]);
    }
    return { v: 1, streams };
  }

  /**
   * Restores a tracker; pending entries of patterns no longer in `patterns` are discarded, and a
   * missing or malformed snapshot gives an empty tracker.
   */
  static restore(patterns: OrderedPattern[], snap: unknown, options: PatternTrackerOptions = {}): PatternTracker {
    const t = new PatternTracker(patterns, options);
    const s = snap as Partial<PatternTrackerSnapshot> | null | undefined;
    if (!s || s.v !== 1 || !Array.isArray(s.streams)) return t;
    for (const entry of s.streams) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !entry[1] || typeof entry[1] !== 'object') continue;
      const state = new Map<string, number[]>();
      for (const [id, q] of Object.entries(entry[1])) {
        if (!t.known.has(id) || !Array.isArray(q)) continue;
        const ts = q.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).slice(-t.maxPending);
        if (ts.length > 0) state.set(id, ts);
      }
      if (state.size > 0) {
        t.streams.set(entry[0], state);
        t.evict();
      }
    }
    return t;
  }

  private evict(): void {
    while (this.streams.size > this.maxStreams) {
      const oldest = this.streams.keys().next().value as string;
      const state = this.streams.get(oldest);
      if (state) for (const q of state.values()) this.dropped += q.length;
      this.streams.delete(oldest);
    }
  }
}
