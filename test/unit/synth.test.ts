import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { stableHash } from '../../functions/core/hash';
import type { SubscriptionMessage } from '../../functions/core/subscription';
import type { LogEvent } from '../../functions/core/types';
import {
  DEFAULT_SERVICES,
  expectedEventsPerMin,
  generateEvents,
  labelsFor,
  streamName,
  toSubscriptionPayloads,
  validateIncidents,
  type IncidentSpec,
  type ServiceSpec,
} from '../../functions/core/synth';

const MIN = 60_000;
const HOUR = 3_600_000;
/** Wednesday 2024-05-08 00:00 UTC. */
const WED = Date.UTC(2024, 4, 8);
/** Saturday 2024-05-11 00:00 UTC. */
const SAT = Date.UTC(2024, 4, 11);

const only = (name: string, regions?: string[]): ServiceSpec[] => {
  const s = DEFAULT_SERVICES.find((x) => x.name === name);
  if (!s) throw new Error(`no service ${name}`);
  return [regions ? { ...s, regions } : s];
};
const collect = (it: Iterable<LogEvent>): LogEvent[] => Array.from(it);
const partitionOfEvent = (e: LogEvent): string => {
  const [, , region, service] = e.logGroup.split('/');
  return `${service}#${region}`;
};

// Format recognisers, written independently of the generator.
const LOG4J = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) \[([^\]]+)\] (\S+) - (.+)/s;
const ACCESS = /^(\S+) - (\S+) \[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}:\d{2}:\d{2}) ([+-]\d{4})\] "(\S+) (\S+) (HTTP\/[\d.]+)" (\d{3}) (\d+) "([^"]*)" "([^"]*)" (\d+\.\d{3})$/;
const NGINX_ERROR = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}:\d{2}:\d{2}) \[(debug|info|notice|warn|error|crit|alert|emerg)\] (\d+)#(\d+): \*(\d+) (.+)$/;

/** Minimal logfmt parser: returns null when the line is not well-formed logfmt. */
function parseLogfmt(line: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  const re = /\s*([A-Za-z_][\w.]*)=("((?:[^"\\]|\\.)*)"|[^\s"]*)/y;
  let pos = 0;
  while (pos < line.length) {
    re.lastIndex = pos;
    const m = re.exec(line);
    if (!m) return null;
    out[m[1]] = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[2];
    pos = re.lastIndex;
  }
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Parses a line as its service's format; returns level and the line's own timestamp (ms, or s precision). */
function parseLine(service: string, message: string): { level: string; ts: number; tsPrecisionMs: number } {
  switch (service) {
    case 'checkout': {
      const o = JSON.parse(message) as Record<string, unknown>;
      if (typeof o.level !== 'string' || typeof o.msg !== 'string') throw new Error(`JSON line without level/msg: ${message}`);
      return { level: String(o.level), ts: Date.parse(String(o.timestamp)), tsPrecisionMs: 1 };
    }
    case 'payments': {
      const m = LOG4J.exec(message);
      if (!m) throw new Error(`not log4j: ${message}`);
      return { level: m[2], ts: Date.parse(m[1].replace(' ', 'T').replace(',', '.') + 'Z'), tsPrecisionMs: 1 };
    }
    case 'gateway': {
      const a = ACCESS.exec(message);
      if (a) {
        const status = Number(a[11]);
        const ts = Date.parse(`${a[5]}-${String(MONTHS.indexOf(a[4]) + 1).padStart(2, '0')}-${a[3]}T${a[6]}Z`);
        return { level: status >= 500 ? 'ERROR' : status >= 400 ? 'WARN' : 'INFO', ts, tsPrecisionMs: 1000 };
      }
      const n = NGINX_ERROR.exec(message);
      if (!n) throw new Error(`neither access nor nginx error line: ${message}`);
      return { level: n[5] === 'warn' ? 'WARN' : 'ERROR', ts: Date.parse(`${n[1]}-${n[2]}-${n[3]}T${n[4]}Z`), tsPrecisionMs: 1000 };
    }
    case 'auth': {
      const kv = parseLogfmt(message);
      if (!kv || !kv.msg || !kv.level || !kv.time) throw new Error(`not logfmt with time/level/msg: ${message}`);
      return { level: kv.level.toUpperCase(), ts: Date.parse(kv.time), tsPrecisionMs: 1 };
    }
    default:
      throw new Error(`unknown service ${service}`);
  }
}

const levelOf = (e: LogEvent): string => parseLine(partitionOfEvent(e).split('#')[0], e.message).level;
const errorShare = (events: LogEvent[]): number => events.filter((e) => levelOf(e) === 'ERROR').length / Math.max(1, events.length);

describe('generateEvents: determinism and shape', () => {
  const opts = { start: WED + 12 * HOUR, end: WED + 13 * HOUR, seed: 42 };
  const first1000 = (seed: number): string => {
    const out: LogEvent[] = [];
    for (const e of generateEvents({ ...opts, seed })) {
      out.push(e);
      if (out.length === 1000) break;
    }
    return stableHash(JSON.stringify(out));
  };

  it('same seed gives identical events, another seed differs', () => {
    expect(first1000(42)).toBe(first1000(42));
    expect(first1000(43)).not.toBe(first1000(42));
  });

  const events = collect(generateEvents(opts));

  it('yields events sorted by timestamp inside [start, end), with unique 56-digit ids', () => {
    expect(events.length).toBeGreaterThan(8 * 40);
    let unsorted = 0;
    for (let i = 1; i < events.length; i++) if (events[i].timestamp < events[i - 1].timestamp) unsorted++;
    expect(unsorted).toBe(0);
    expect(events[0].timestamp).toBeGreaterThanOrEqual(opts.start);
    expect(events[events.length - 1].timestamp).toBeLessThan(opts.end);
    const ids = new Set(events.map((e) => e.id));
    expect(ids.size).toBe(events.length);
    for (const e of events.slice(0, 200)) expect(e.id).toMatch(/^\d{56}$/);
  });

  it('names log groups /harbinger/<region>/<service> and streams <service>-<region>-<i>/<uuid-like>', () => {
    const groups = new Set(events.map((e) => e.logGroup));
    expect([...groups].sort()).toEqual(
      DEFAULT_SERVICES.flatMap((s) => s.regions.map((r) => `/harbinger/${r}/${s.name}`)).sort(),
    );
    const badStreams = events.filter((e) => {
      const [, , region, service] = e.logGroup.split('/');
      return !new RegExp(`^${service}-${region}-\\d+/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).test(e.logStream);
    });
    expect(badStreams).toEqual([]);
    const spec = DEFAULT_SERVICES[0];
    const streams = new Set(events.filter((e) => e.logGroup === spec.logGroup('us-east-1')).map((e) => e.logStream));
    expect(streams.size).toBe(spec.streams);
    expect(streamName('checkout', 'us-east-1', 0)).toBe(streamName('checkout', 'us-east-1', 0));
  });

  it('writes every line exactly in its service format, with the envelope timestamp in the line', () => {
    const perService = new Map<string, number>();
    const problems: string[] = [];
    for (const e of events) {
      const service = partitionOfEvent(e).split('#')[0];
      const p = parseLine(service, e.message);
      if (!['DEBUG', 'INFO', 'WARN', 'ERROR'].includes(p.level)) problems.push(`level ${p.level}: ${e.message}`);
      if (Math.floor(e.timestamp / p.tsPrecisionMs) * p.tsPrecisionMs !== p.ts) problems.push(`time ${e.timestamp} vs ${p.ts}: ${e.message}`);
      perService.set(service, (perService.get(service) ?? 0) + 1);
    }
    expect(problems).toEqual([]);
    expect([...perService.keys()].sort()).toEqual(['auth', 'checkout', 'gateway', 'payments']);
    // Both gateway line kinds occur: access lines and (rarer) nginx error_log lines.
    const gw = events.filter((e) => e.logGroup.endsWith('/gateway'));
    expect(gw.filter((e) => ACCESS.test(e.message)).length / gw.length).toBeGreaterThan(0.98);
  });

  it('has a realistic level mix: mostly INFO, some DEBUG/WARN, rare ERROR (~0.5%)', () => {
    const counts: Record<string, number> = {};
    for (const e of events) counts[levelOf(e)] = (counts[levelOf(e)] ?? 0) + 1;
    const n = events.length;
    expect(counts.INFO / n).toBeGreaterThan(0.6);
    expect((counts.DEBUG ?? 0) / n).toBeGreaterThan(0.05);
    expect((counts.WARN ?? 0) / n).toBeGreaterThan(0.005);
    expect((counts.ERROR ?? 0) / n).toBeGreaterThan(0.0005);
    expect((counts.ERROR ?? 0) / n).toBeLessThan(0.015);
  });

  it('has mostly 2xx statuses with a few 4xx and rare 5xx, and lognormal-ish latencies', () => {
    const statuses: number[] = [];
    const latencies: number[] = [];
    for (const e of events) {
      if (!e.logGroup.endsWith('/checkout')) continue;
      const o = JSON.parse(e.message) as { status?: number; latency_ms?: number; msg: string };
      if (o.msg === 'request completed' || o.msg === 'request failed') {
        statuses.push(o.status ?? 0);
        latencies.push(o.latency_ms ?? 0);
      }
    }
    const share = (f: (s: number) => boolean): number => statuses.filter(f).length / statuses.length;
    expect(share((s) => s >= 200 && s < 300)).toBeGreaterThan(0.9);
    expect(share((s) => s >= 400 && s < 500)).toBeGreaterThan(0.005);
    expect(share((s) => s >= 500)).toBeLessThan(0.03);
    latencies.sort((a, b) => a - b);
    const q = (p: number): number => latencies[Math.floor(p * (latencies.length - 1))];
    expect(q(0.5)).toBeGreaterThan(10);
    expect(q(0.99) / q(0.5)).toBeGreaterThan(2.5); // right-skewed tail
  });

  it('generates the same minutes whatever window is requested (history and live hour agree)', () => {
    const sub = collect(generateEvents({ ...opts, start: opts.start + 20 * MIN, end: opts.start + 30 * MIN }));
    const slice = events.filter((e) => e.timestamp >= opts.start + 20 * MIN && e.timestamp < opts.start + 30 * MIN);
    expect(sub.length).toBe(slice.length);
    expect(stableHash(JSON.stringify(sub))).toBe(stableHash(JSON.stringify(slice)));
  });
});

describe('ordered sequences inside a log stream', () => {
  const events = collect(generateEvents({ start: WED + 14 * HOUR, end: WED + 15 * HOUR, seed: 5, services: [...only('payments'), ...only('checkout')] }));
  const byStream = new Map<string, LogEvent[]>();
  for (const e of events) byStream.set(e.logStream, [...(byStream.get(e.logStream) ?? []), e]);

  it('payments: "Authorized payment X" is followed by "Captured payment X" in the same stream within seconds', () => {
    let authorized = 0;
    let followed = 0;
    for (const [, list] of byStream) {
      const captured = new Map<string, number>();
      for (const e of list) {
        const m = /Captured payment (pay_\w+)/.exec(e.message);
        if (m) captured.set(m[1], e.timestamp);
      }
      for (const e of list) {
        const m = /Authorized payment (pay_\w+)/.exec(e.message);
        if (!m || e.timestamp > WED + 15 * HOUR - 30_000) continue;
        authorized++;
        const t = captured.get(m[1]);
        if (t !== undefined && t > e.timestamp && t - e.timestamp < 30_000) followed++;
      }
    }
    expect(authorized).toBeGreaterThan(100);
    expect(followed / authorized).toBeGreaterThan(0.99);
  });

  it('checkout: every "request started" has a completion with the same req_id later in the same stream', () => {
    let started = 0;
    let completed = 0;
    for (const [, list] of byStream) {
      const done = new Map<string, number>();
      const parsed = list.filter((e) => e.logGroup.endsWith('/checkout')).map((e) => ({ e, o: JSON.parse(e.message) as { msg: string; req_id?: string } }));
      for (const { e, o } of parsed) if ((o.msg === 'request completed' || o.msg === 'request failed') && o.req_id) done.set(o.req_id, e.timestamp);
      for (const { e, o } of parsed) {
        if (o.msg !== 'request started' || e.timestamp > WED + 15 * HOUR - 60_000) continue;
        started++;
        const t = done.get(o.req_id ?? '');
        if (t !== undefined && t >= e.timestamp) completed++;
      }
    }
    expect(started).toBeGreaterThan(100);
    expect(completed).toBe(started);
  });
});

describe('seasonality', () => {
  const count = (start: number, end: number, regions: string[]): number => {
    let n = 0;
    for (const _ of generateEvents({ start, end, seed: 9, services: only('gateway', regions) })) n++;
    return n;
  };

  it('mid-day (region-local) is busier than night', () => {
    // us-east-1 is UTC-5: local 12:00-14:00 = 17:00-19:00 UTC; local 02:00-04:00 = 07:00-09:00 UTC.
    const midday = count(WED + 17 * HOUR, WED + 19 * HOUR, ['us-east-1']);
    const night = count(WED + 7 * HOUR, WED + 9 * HOUR, ['us-east-1']);
    expect(midday).toBeGreaterThan(2.5 * night);
    // eu-west-1 peaks earlier in UTC than us-east-1.
    const euAt13 = count(WED + 13 * HOUR, WED + 14 * HOUR, ['eu-west-1']);
    const usAt13 = count(WED + 13 * HOUR, WED + 14 * HOUR, ['us-east-1']);
    expect(euAt13).toBeGreaterThan(1.3 * usAt13);
  });

  it('weekends are quieter than weekdays at the same hour', () => {
    const weekday = count(WED + 10 * HOUR, WED + 14 * HOUR, ['eu-west-1']);
    const weekend = count(SAT + 10 * HOUR, SAT + 14 * HOUR, ['eu-west-1']);
    expect(weekend).toBeLessThan(0.85 * weekday);
    expect(weekend).toBeGreaterThan(0.5 * weekday);
  });

  it('matches the expected rate and follows the scale option', () => {
    const spec = only('auth', ['eu-west-1'])[0];
    const from = WED + 12 * HOUR;
    const n1 = collect(generateEvents({ start: from, end: from + HOUR, seed: 3, services: [spec] })).length;
    const expected = Array.from({ length: 60 }, (_, i) => expectedEventsPerMin(spec, 'eu-west-1', from + i * MIN + MIN / 2)).reduce((a, b) => a + b, 0);
    expect(Math.abs(n1 - expected) / expected).toBeLessThan(0.1);
    const nQuarter = collect(generateEvents({ start: from, end: from + HOUR, seed: 3, services: [spec], scale: 0.25 })).length;
    expect(nQuarter / n1).toBeGreaterThan(0.18);
    expect(nQuarter / n1).toBeLessThan(0.35);
  });
});

describe('incidents', () => {
  const start = WED + 12 * HOUR;
  const incStart = start + 40 * MIN;
  const incEnd = incStart + 20 * MIN;
  const run = (kind: IncidentSpec['kind'], service: string, magnitude?: number) => {
    const incidents: IncidentSpec[] = [{ kind, service, region: 'eu-west-1', start: incStart, durationMs: 20 * MIN, magnitude }];
    const events = collect(generateEvents({ start, end: incEnd + 10 * MIN, seed: 11, services: only(service), incidents }));
    const eu = events.filter((e) => e.logGroup.includes('/eu-west-1/'));
    const us = events.filter((e) => e.logGroup.includes('/us-east-1/'));
    const inside = eu.filter((e) => e.timestamp >= incStart && e.timestamp < incEnd);
    const before = eu.filter((e) => e.timestamp < incStart);
    const after = eu.filter((e) => e.timestamp >= incEnd + 2 * MIN);
    return { events, eu, us, inside, before, after, incidents };
  };

  it('error_burst: the window has a much higher error share than outside', () => {
    const r = run('error_burst', 'checkout');
    const inside = errorShare(r.inside);
    expect(inside).toBeGreaterThan(0.15);
    expect(inside).toBeLessThan(0.35);
    expect(errorShare(r.before)).toBeLessThan(0.02);
    expect(inside).toBeGreaterThan(10 * Math.max(errorShare(r.before), 0.001));
    expect(errorShare(r.after)).toBeLessThan(0.02);
  });

  it('error_burst_latency: ~20-30% errors with a never-seen template and latency x5', () => {
    const r = run('error_burst_latency', 'payments');
    const pool = /Connection pool exhausted: timeout after 30000ms waiting for connection to db-\d+/;
    expect(r.before.some((e) => pool.test(e.message))).toBe(false);
    expect(r.us.some((e) => pool.test(e.message))).toBe(false);
    expect(r.inside.filter((e) => pool.test(e.message)).length).toBeGreaterThan(20);
    const share = errorShare(r.inside);
    expect(share).toBeGreaterThan(0.15);
    expect(share).toBeLessThan(0.4);
    const lat = (list: LogEvent[]): number => {
      const v = list.map((e) => /Authorized payment .* latency=(\d+)ms/.exec(e.message)).filter((m) => m !== null).map((m) => Number(m[1])).sort((a, b) => a - b);
      return v[Math.floor(v.length / 2)];
    };
    expect(lat(r.inside)).toBeGreaterThan(3 * lat(r.before));
  });

  it('latency: request latencies grow by the magnitude', () => {
    const r = run('latency', 'checkout', 5);
    const med = (list: LogEvent[]): number => {
      const v = list.map((e) => JSON.parse(e.message) as { msg: string; latency_ms?: number }).filter((o) => o.msg === 'request completed').map((o) => o.latency_ms ?? 0).sort((a, b) => a - b);
      return v[Math.floor(v.length / 2)];
    };
    expect(med(r.inside)).toBeGreaterThan(3.5 * med(r.before));
    expect(errorShare(r.inside)).toBeLessThan(0.03);
  });

  it('silent: the partition drops to zero, other partitions are untouched', () => {
    const r = run('silent', 'auth');
    expect(r.inside.length).toBe(0);
    expect(r.before.length).toBeGreaterThan(100);
    expect(r.after.length).toBeGreaterThan(50);
    const clean = collect(generateEvents({ start, end: incEnd + 10 * MIN, seed: 11, services: only('auth') }));
    expect(stableHash(JSON.stringify(r.us))).toBe(stableHash(JSON.stringify(clean.filter((e) => e.logGroup.includes('/us-east-1/')))));
    // Outside the incident's minutes the partition itself is unchanged too.
    const cleanBefore = clean.filter((e) => e.logGroup.includes('/eu-west-1/') && e.timestamp < incStart - 3 * MIN);
    expect(r.before.filter((e) => e.timestamp < incStart - 3 * MIN)).toEqual(cleanBefore);
  });

  it('flood: volume is multiplied by the magnitude', () => {
    const r = run('flood', 'gateway', 8);
    const perMin = (list: LogEvent[], minutes: number): number => list.length / minutes;
    const ratio = perMin(r.inside, 20) / perMin(r.before, 40);
    expect(ratio).toBeGreaterThan(5);
    expect(ratio).toBeLessThan(11);
  });

  it('new_error_template: an error line never seen before appears only in the window', () => {
    const r = run('new_error_template', 'auth');
    const novel = (e: LogEvent): boolean => e.message.includes('msg="database query failed"');
    expect(r.before.some(novel)).toBe(false);
    expect(r.after.some(novel)).toBe(false);
    expect(r.inside.filter(novel).length).toBeGreaterThan(5);
  });

  it('labelsFor returns the ground truth of the injected incidents', () => {
    const incidents: IncidentSpec[] = [
      { kind: 'flood', service: 'gateway', region: 'us-east-1', start: incStart + HOUR, durationMs: 5 * MIN },
      { kind: 'error_burst_latency', service: 'payments', region: 'eu-west-1', start: incStart, durationMs: 20 * MIN },
    ];
    expect(labelsFor(incidents)).toEqual([
      { partition: 'payments#eu-west-1', start: incStart, end: incEnd, kind: 'error_burst_latency' },
      { partition: 'gateway#us-east-1', start: incStart + HOUR, end: incStart + HOUR + 5 * MIN, kind: 'flood' },
    ]);
  });

  it('rejects invalid incidents with a message that says what to fix', () => {
    expect(() => validateIncidents([{ kind: 'error_burst', service: 'a', region: 'b', start: 0, durationMs: 0 }])).toThrow(/durationMs > 0/);
    expect(() => validateIncidents([{ kind: 'error_burst', service: 'a', region: 'b', start: 0, durationMs: 1, magnitude: 3 }])).toThrow(/0\.\.1/);
  });
});

describe('toSubscriptionPayloads', () => {
  const events = collect(generateEvents({ start: WED + 12 * HOUR, end: WED + 12 * HOUR + 10 * MIN, seed: 21 }));

  it('gunzips back into DATA_MESSAGEs of a single stream whose counts sum to the input', () => {
    const payloads = Array.from(toSubscriptionPayloads(events));
    expect(payloads.length).toBeGreaterThan(10);
    let total = 0;
    const replayed: LogEvent[] = [];
    for (const p of payloads) {
      const msg = JSON.parse(gunzipSync(p.data).toString('utf8')) as SubscriptionMessage;
      expect(msg.messageType).toBe('DATA_MESSAGE');
      expect(msg.logGroup).toBe(p.logGroup);
      expect(msg.logStream).toBe(p.logStream);
      expect(p.partitionKey).toBe(p.logStream);
      expect(msg.logEvents.length).toBe(p.count);
      expect(p.count).toBeLessThanOrEqual(100);
      total += p.count;
      for (const le of msg.logEvents) replayed.push({ ...le, logGroup: msg.logGroup, logStream: msg.logStream });
    }
    expect(total).toBe(events.length);
    const key = (e: LogEvent): string => e.id;
    expect(replayed.map(key).sort()).toEqual(events.map(key).sort());
    // Order within a stream is preserved.
    const perStream = (list: LogEvent[]): Map<string, string[]> => {
      const m = new Map<string, string[]>();
      for (const e of list) m.set(e.logStream, [...(m.get(e.logStream) ?? []), e.id]);
      return m;
    };
    expect(perStream(replayed)).toEqual(perStream(events));
  });

  it('respects maxEventsPerPayload and maxBytes', () => {
    const payloads = Array.from(toSubscriptionPayloads(events, { maxEventsPerPayload: 3, maxBytes: 800, sliceMs: 60_000 }));
    for (const p of payloads) {
      expect(p.count).toBeLessThanOrEqual(3);
      const msg = JSON.parse(gunzipSync(p.data).toString('utf8')) as SubscriptionMessage;
      const bytes = msg.logEvents.reduce((s, e) => s + Buffer.byteLength(e.message) + 26, 0);
      if (p.count > 1) expect(bytes).toBeLessThanOrEqual(800);
    }
    expect(payloads.reduce((s, p) => s + p.count, 0)).toBe(events.length);
  });
});
