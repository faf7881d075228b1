import { describe, expect, it } from 'vitest';
import { emptyPartial, minuteOf, windowFeatures } from '../../functions/core/features';
import { parseLine } from '../../functions/core/parse';
import { patternId } from '../../functions/core/patterns';
import {
  addProcessed,
  aggregate,
  contextFromProfile,
  processEvent,
  TemplateLearner,
  windowKey,
  type ProcessedEvent,
} from '../../functions/core/pipeline';
import { buildProfile } from '../../functions/core/profile';
import { REDACTED } from '../../functions/core/redact';
import { templateIdOf } from '../../functions/core/templates';
import type { LogEvent, OrderedPattern, Profile } from '../../functions/core/types';

const MIN = 60_000;
/** Wednesday 2024-05-08 12:30:00 UTC. */
const T = Date.UTC(2024, 4, 8, 12, 30);
const P = 'payments#eu-west-1';
const GROUP = '/harbinger/eu-west-1/payments';

const log4j = (ts: number, level: string, msg: string): string => {
  const d = new Date(ts).toISOString();
  return `${d.slice(0, 10)} ${d.slice(11, 19)},${d.slice(20, 23)} ${level} [http-nio-8080-exec-1] c.e.payments.Service - ${msg}`;
};

let nextId = 0;
function ev(ts: number, message: string, over: Partial<LogEvent> = {}): LogEvent {
  return { id: String(++nextId), timestamp: ts, message, logGroup: GROUP, logStream: 'payments-0/abc', ...over };
}

const AUTH_TPL = 'payment <*> authorized amount <*> EUR';
const CAPTURE_TPL = 'payment <*> captured';
const AUTH_ID = templateIdOf(AUTH_TPL);
const CAPTURE_ID = templateIdOf(CAPTURE_TPL);

function profileWith(patterns: OrderedPattern[] = []): Profile {
  return buildProfile({
    partition: P,
    windows: [],
    templates: [
      { id: AUTH_ID, template: AUTH_TPL, count: 90, level: 'INFO' },
      { id: CAPTURE_ID, template: CAPTURE_TPL, count: 10, level: 'INFO' },
    ],
    patterns,
    version: 3,
    builtAt: T,
  });
}

const AUTH_THEN_CAPTURE: OrderedPattern = { id: patternId(AUTH_ID, CAPTURE_ID), a: AUTH_ID, b: CAPTURE_ID, maxGapMs: 5_000, support: 0.98 };

describe('contextFromProfile', () => {
  it('with no profile: an empty dictionary (every line is new) and no pattern tracker', () => {
    const ctx = contextFromProfile(null);
    expect(ctx.tracker).toBeUndefined();
    const a = ctx.resolver.resolve('payment 17 authorized amount 12.50 EUR');
    expect(a.isNew).toBe(true);
    expect(a.template).toBe(AUTH_TPL);
    // A candidate's id is the stable hash of the masked line itself, independent of the instance.
    expect(a.templateId).toBe(templateIdOf(AUTH_TPL));
    expect(contextFromProfile(null).resolver.resolve('payment 99 authorized amount 1.00 EUR').templateId).toBe(a.templateId);
  });

  it("with a profile: its dictionary is matched first, with the profile's ids", () => {
    const ctx = contextFromProfile(profileWith());
    const r = ctx.resolver.resolve('payment 17 authorized amount 12.50 EUR');
    expect(r).toMatchObject({ templateId: AUTH_ID, template: AUTH_TPL, isNew: false });
    expect(ctx.tracker).toBeUndefined(); // no patterns -> no tracker
  });

  it('with a profile that has ordered patterns: a tracker', () => {
    const ctx = contextFromProfile(profileWith([AUTH_THEN_CAPTURE]));
    expect(ctx.tracker).toBeDefined();
  });

  it('dictionary ids win even when they are not the hash of the template text', () => {
    const profile = buildProfile({
      partition: P,
      windows: [],
      templates: [{ id: 'legacy-id-1', template: 'user <*> logged in', count: 5, level: 'INFO' }],
      version: 1,
      builtAt: T,
    });
    const r = contextFromProfile(profile).resolver.resolve('user 42 logged in');
    expect(r).toMatchObject({ templateId: 'legacy-id-1', isNew: false });
  });
});

describe('processEvent', () => {
  it('windows an event by its envelope timestamp, not the timestamp written in the line', () => {
    const ctx = contextFromProfile(null);
    const envelope = T + 15_250; // 12:30:15.250
    // The line claims 12:31:05; the envelope minute (12:30) is what keys the window.
    const pe = processEvent(ev(envelope, log4j(T + MIN + 5_000, 'INFO', 'payment 1 captured')), P, ctx);
    expect(pe.windowStart).toBe(T);
    expect(pe.windowStart).toBe(minuteOf(envelope));
    expect(pe.parsed.timestamp).toBe(T + MIN + 5_000);
    expect(pe.partition).toBe(P);
  });

  it('floors the window to the minute at the boundaries', () => {
    const ctx = contextFromProfile(null);
    expect(processEvent(ev(T, 'x 1'), P, ctx).windowStart).toBe(T);
    expect(processEvent(ev(T + MIN - 1, 'x 1'), P, ctx).windowStart).toBe(T);
    expect(processEvent(ev(T + MIN, 'x 1'), P, ctx).windowStart).toBe(T + MIN);
  });

  it('parses the line and keeps the raw message', () => {
    const msg = log4j(T + 1_000, 'ERROR', 'payment 7 captured');
    const pe = processEvent(ev(T + 1_000, msg), P, contextFromProfile(null));
    expect(pe.raw).toBe(msg);
    expect(pe.parsed.level).toBe('ERROR');
    expect(pe.parsed.body).toBe('payment 7 captured');
    expect(pe.violations).toEqual([]);
  });

  it('resolves templates dictionary-first: known lines are not new, unseen lines are', () => {
    const ctx = contextFromProfile(profileWith());
    const known = processEvent(ev(T, log4j(T, 'INFO', 'payment 8812 authorized amount 45.10 EUR')), P, ctx);
    expect(known.match).toMatchObject({ templateId: AUTH_ID, template: AUTH_TPL, isNew: false });
    const unseen = processEvent(ev(T + 1, log4j(T + 1, 'ERROR', 'connection pool exhausted after 3000 ms waiting')), P, ctx);
    expect(unseen.match.isNew).toBe(true);
    expect(unseen.match.template).toBe('connection pool exhausted after <*> ms waiting');
    expect(unseen.match.templateId).toBe(templateIdOf('connection pool exhausted after <*> ms waiting'));
    expect(unseen.match.templateId).not.toBe(AUTH_ID);
    expect(unseen.match.templateId).not.toBe(CAPTURE_ID);
  });

  it('reports ordered-pattern violations per log stream', () => {
    const ctx = contextFromProfile(profileWith([AUTH_THEN_CAPTURE]));
    const s1 = { logStream: 'payments-0/aaa' };
    const auth = (ts: number, o = s1) => processEvent(ev(ts, log4j(ts, 'INFO', 'payment 1 authorized amount 3.00 EUR'), o), P, ctx);
    const capture = (ts: number, o = s1) => processEvent(ev(ts, log4j(ts, 'INFO', 'payment 1 captured'), o), P, ctx);
    expect(auth(T).violations).toEqual([]);
    // B follows A within the gap: fine.
    expect(capture(T + 1_000).violations).toEqual([]);
    // B again long after the stream was first seen and with no pending A: a violation.
    expect(capture(T + 20_000).violations).toEqual([AUTH_THEN_CAPTURE.id]);
    // A brand-new stream: the tracker cannot know about earlier A's, so no violation yet.
    expect(capture(T + 21_000, { logStream: 'payments-1/bbb' }).violations).toEqual([]);
    // Streams are keyed by group/stream: the same stream name in another group is another stream.
    expect(capture(T + 22_000, { logStream: 'payments-0/aaa', logGroup: '/harbinger/us-east-1/payments' } as never).violations).toEqual([]);
  });
});

describe('aggregate', () => {
  function mixedEvents(): ProcessedEvent[] {
    const ctx = contextFromProfile(profileWith());
    const other = contextFromProfile(null);
    const out: ProcessedEvent[] = [];
    // payments: 5, 3, 0, 2 events in minutes 0..3; checkout: 4 events in minute 1 and 1 in minute 3.
    const perMinute = [5, 3, 0, 2];
    perMinute.forEach((n, m) => {
      for (let i = 0; i < n; i++) {
        const ts = T + m * MIN + i * 7_000;
        const level = i === 0 && m === 1 ? 'ERROR' : 'INFO';
        const msg = i % 2 === 0 ? `payment ${i} authorized amount ${i}.00 EUR` : `payment ${i} captured`;
        out.push(processEvent(ev(ts, log4j(ts, level, msg)), P, ctx));
      }
    });
    for (let i = 0; i < 4; i++) out.push(processEvent(ev(T + MIN + i, `{"level":"INFO","msg":"cart ${i} updated","latency_ms":${20 + i}}`, { logGroup: '/harbinger/eu-west-1/checkout' }), 'checkout#eu-west-1', other));
    out.push(processEvent(ev(T + 3 * MIN + 59_999, '{"level":"WARN","msg":"slow dependency","latency_ms":900}', { logGroup: '/harbinger/eu-west-1/checkout' }), 'checkout#eu-west-1', other));
    return out;
  }

  it('groups by (partition, minute) with one partial per key', () => {
    const events = mixedEvents();
    const parts = aggregate(events);
    expect([...parts.keys()].sort()).toEqual(
      [
        windowKey(P, T),
        windowKey(P, T + MIN),
        windowKey(P, T + 3 * MIN),
        windowKey('checkout#eu-west-1', T + MIN),
        windowKey('checkout#eu-west-1', T + 3 * MIN),
      ].sort(),
    );
    for (const [k, p] of parts) expect(k).toBe(windowKey(p.partition, p.windowStart));
    expect(windowKey(P, T)).toBe(`${P}|${T}`);
  });

  it('counts add up per window, per level and per template, and in total', () => {
    const events = mixedEvents();
    const parts = aggregate(events);
    expect(parts.get(windowKey(P, T))!.count).toBe(5);
    expect(parts.get(windowKey(P, T + MIN))!.count).toBe(3);
    expect(parts.get(windowKey(P, T + 3 * MIN))!.count).toBe(2);
    expect(parts.get(windowKey('checkout#eu-west-1', T + MIN))!.count).toBe(4);
    expect(parts.get(windowKey('checkout#eu-west-1', T + 3 * MIN))!.count).toBe(1);
    let total = 0;
    for (const p of parts.values()) {
      total += p.count;
      const byLevel = Object.values(p.levels).reduce((s, n) => s + (n ?? 0), 0);
      const byTemplate = Object.values(p.templates).reduce((s, n) => s + n, 0);
      expect(byLevel).toBe(p.count);
      expect(byTemplate).toBe(p.count);
    }
    expect(total).toBe(events.length);
    const m0 = parts.get(windowKey(P, T))!;
    expect(m0.templates[AUTH_ID]).toBe(3);
    expect(m0.templates[CAPTURE_ID]).toBe(2);
    expect(m0.newTemplates).toEqual({});
    expect(parts.get(windowKey(P, T + MIN))!.levels.ERROR).toBe(1);
    // Checkout had no profile: all its events are new templates, with their text kept.
    const c1 = parts.get(windowKey('checkout#eu-west-1', T + MIN))!;
    expect(Object.values(c1.newTemplates).reduce((s, n) => s + n, 0)).toBe(4);
    expect(Object.values(c1.templateText)).toEqual(['cart <*> updated']);
    expect(c1.sums.latencyMs).toBe(20 + 21 + 22 + 23);
    expect(windowFeatures(c1).features.newTemplateCount).toBe(4);
  });

  it('an empty input gives no partials', () => {
    expect(aggregate([]).size).toBe(0);
  });

  it('carries pattern violations into the partial', () => {
    const ctx = contextFromProfile(profileWith([AUTH_THEN_CAPTURE]));
    const events = [
      processEvent(ev(T, log4j(T, 'INFO', 'payment 1 captured')), P, ctx),
      processEvent(ev(T + 10_000, log4j(T + 10_000, 'INFO', 'payment 2 captured')), P, ctx),
      processEvent(ev(T + 20_000, log4j(T + 20_000, 'INFO', 'payment 3 captured')), P, ctx),
    ];
    const p = aggregate(events).get(windowKey(P, T))!;
    expect(p.patternViolations).toEqual({ [AUTH_THEN_CAPTURE.id]: 2 });
    expect(windowFeatures(p).features.patternViolations).toBe(2);
  });
});

describe('addProcessed', () => {
  it('stores one REDACTED sample per template: the first line wins', () => {
    const loginTpl = 'login failed for <*> with <*> attempt <*>';
    const ctx = contextFromProfile(
      buildProfile({ partition: P, windows: [], templates: [{ id: templateIdOf(loginTpl), template: loginTpl, count: 1, level: 'WARN' }], version: 1, builtAt: T }),
    );
    const first = 'login failed for jane.doe@example.com with password=hunter2 attempt 1';
    const second = 'login failed for john@example.org with password=letmein attempt 2';
    const a = processEvent(ev(T, first), P, ctx);
    const b = processEvent(ev(T + 1_000, second), P, ctx);
    expect(a.match).toMatchObject({ templateId: templateIdOf(loginTpl), isNew: false });
    expect(b.match.templateId).toBe(a.match.templateId);
    const partial = emptyPartial(P, T);
    addProcessed(partial, a);
    addProcessed(partial, b);
    expect(partial.count).toBe(2);
    const sample = partial.samples[a.match.templateId];
    expect(Object.keys(partial.samples)).toEqual([a.match.templateId]);
    expect(sample).toContain(REDACTED);
    expect(sample).not.toContain('hunter2');
    expect(sample).not.toContain('jane.doe');
    expect(sample).toContain('***@example.com');
    expect(sample).toContain('attempt 1');
    // The second line neither replaced the sample nor leaked into it.
    expect(sample).not.toContain('letmein');
    expect(sample).not.toContain('attempt 2');
    // The raw event itself is untouched (redaction is for the sample only).
    expect(a.raw).toBe(first);
  });

  it('keeps a separate sample per template', () => {
    const ctx = contextFromProfile(profileWith());
    const partial = emptyPartial(P, T);
    const lines = [
      log4j(T, 'INFO', 'payment 1 authorized amount 10.00 EUR'),
      log4j(T, 'INFO', 'payment 1 captured'),
      log4j(T, 'INFO', 'payment 2 captured'),
      log4j(T, 'WARN', 'token refresh with api_key=sk_live_abcdef123456 failed'),
    ];
    for (const l of lines) addProcessed(partial, processEvent(ev(T, l), P, ctx));
    expect(Object.keys(partial.samples).sort()).toEqual(Object.keys(partial.templates).sort());
    expect(partial.samples[AUTH_ID]).toBe(lines[0]);
    expect(partial.samples[CAPTURE_ID]).toBe(lines[1]);
    const tokenSample = Object.entries(partial.samples).find(([id]) => id !== AUTH_ID && id !== CAPTURE_ID)![1];
    expect(tokenSample).not.toContain('sk_live_abcdef123456');
    expect(tokenSample).toContain(REDACTED);
  });

  it('adds pattern violations of the event', () => {
    const partial = emptyPartial(P, T);
    const pe: ProcessedEvent = {
      partition: P,
      windowStart: T,
      parsed: parseLine('payment 1 captured', T),
      match: { templateId: CAPTURE_ID, template: CAPTURE_TPL, isNew: false },
      raw: 'payment 1 captured',
      violations: ['p1', 'p2', 'p1'],
    };
    addProcessed(partial, pe);
    expect(partial.patternViolations).toEqual({ p1: 2, p2: 1 });
  });
});

describe('TemplateLearner', () => {
  it('learns templates per partition, sorted partitions, empty for unknown ones', () => {
    const l = new TemplateLearner();
    for (let i = 0; i < 20; i++) l.add('b#x', parseLine(`user ${i} logged in from 10.0.0.${i}`, T));
    for (let i = 0; i < 5; i++) l.add('a#x', parseLine(`cache miss for key item-${i}`, T));
    expect(l.partitions()).toEqual(['a#x', 'b#x']);
    expect(l.templates('nope#x')).toEqual([]);
    const b = l.templates('b#x');
    expect(b).toHaveLength(1);
    expect(b[0].count).toBe(20);
    expect(b[0].template).toBe('user <*> logged in from <*>');
    expect(b[0].id).toBe(templateIdOf(b[0].template));
    const a = l.templates('a#x');
    expect(a).toHaveLength(1);
    expect(a[0].count).toBe(5);
    // Templates never leak across partitions.
    expect(a[0].template).not.toContain('logged');
  });

  it('assigns each template the dominant level of its lines', () => {
    const l = new TemplateLearner();
    const add = (level: string, msg: string): void => l.add(P, parseLine(log4j(T, level, msg), T));
    for (let i = 0; i < 10; i++) add('INFO', `payment ${i} authorized amount ${i}.50 EUR`);
    for (let i = 0; i < 3; i++) add('ERROR', `payment ${i} authorized amount ${i}.50 EUR`);
    for (let i = 0; i < 5; i++) add('ERROR', `ledger deadlock detected on table t${i} retrying transaction now`);
    add('WARN', 'ledger deadlock detected on table t9 retrying transaction now');
    for (let i = 0; i < 4; i++) add('WARN', `rate limit reached`);
    const byTemplate = new Map(l.templates(P).map((t) => [t.template, t]));
    expect(byTemplate.get(AUTH_TPL)).toMatchObject({ count: 13, level: 'INFO' });
    const deadlock = [...byTemplate.values()].find((t) => t.template.startsWith('ledger deadlock'))!;
    expect(deadlock).toMatchObject({ count: 6, level: 'ERROR' });
    expect(byTemplate.get('rate limit reached')).toMatchObject({ count: 4, level: 'WARN' });
    const total = l.templates(P).reduce((s, t) => s + t.count, 0);
    expect(total).toBe(13 + 6 + 4);
  });

  it('resolves levels to the final, generalised templates (lines seen before a cluster generalised count)', () => {
    const l = new TemplateLearner();
    // Literal-looking first lines, then variants that force the cluster to generalise a word.
    // The first line creates the literal cluster '... on node alpha'; later lines generalise it.
    // Its three ERROR lines are tallied under the literal template; the two INFO lines under the
    // generalised one. ERROR only wins if the early tallies are resolved to the final template.
    for (let i = 0; i < 3; i++) l.add(P, parseLine(log4j(T, 'ERROR', `worker crashed with exit code ${i} on node alpha`), T));
    l.add(P, parseLine(log4j(T, 'INFO', 'worker crashed with exit code 0 on node beta'), T));
    l.add(P, parseLine(log4j(T, 'INFO', 'worker crashed with exit code 0 on node gamma'), T));
    const t = l.templates(P);
    expect(t).toHaveLength(1);
    expect(t[0].template).toBe('worker crashed with exit code <*> on node <*>');
    expect(t[0]).toMatchObject({ count: 5, level: 'ERROR' });
  });
});
