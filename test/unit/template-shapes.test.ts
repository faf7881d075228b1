import { describe, expect, it } from 'vitest';
import { parseLine } from '../../functions/core/parse';
import { buildProfile, profileSizeBytes, validateProfile } from '../../functions/core/profile';
import { redact } from '../../functions/core/redact';
import { fillTemplate, learnSlot, slotValues, SLOT_EXAMPLES, SLOT_TOP_K, templateTokens } from '../../functions/core/slot-stats';
import { attachShapes, collectSamples, learnTemplateShape } from '../../functions/core/template-shapes';
import { maskTokens, maskTokensWithRaw, TemplateDictionary } from '../../functions/core/templates';
import { detectTimeAt, detectTimeValue, renderTime } from '../../functions/core/time-styles';
import { renderLine } from '../../functions/core/line-layout';
import { emptyWindowFeatures } from '../../functions/core/features';
import { mulberry32 } from '../../functions/core/random';
import { drawSlot, regenerateId } from '../../functions/core/synth/slot-draw';
import { generateEvents } from '../../functions/core/synth';
import type { FieldsLayout, PartsLayout, SlotStat, WindowFeatures } from '../../functions/core/types';

const T = Date.UTC(2024, 4, 6, 8, 0, 1, 123);
const rng = mulberry32(42);
const hex = (n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(rng() * 16)]).join('');
const int = (lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));

describe('maskTokensWithRaw', () => {
  it('masks exactly like maskTokens (every synthetic format) and keeps the raw text of each token', () => {
    const events = [...generateEvents({ start: T, end: T + 3 * 60_000, seed: 3, scale: 0.5 })];
    expect(events.length).toBeGreaterThan(300);
    for (const e of events) {
      const body = parseLine(e.message, e.timestamp).body;
      const withRaw = maskTokensWithRaw(body);
      expect(withRaw.map((t) => t.masked)).toEqual(maskTokens(body));
      // Raw tokens put back together give the body again, up to whitespace.
      expect(withRaw.map((t) => t.raw).join(' ')).toBe(body.trim().split(/\s+/).join(' '));
    }
  });

  it('restores collapsed timestamps and runs of ids', () => {
    const t = maskTokensWithRaw('at 2024/05/01 12:00:00 blocks blk_1 blk_22 done');
    expect(t.map((x) => x.masked)).toEqual(['at', '<*>', 'blocks', 'blk_<*>', 'done']);
    expect(t[1].raw).toBe('2024/05/01 12:00:00');
    expect(t[3].raw).toBe('blk_1 blk_22');
  });
});

describe('slot values of a template', () => {
  it('reads one value per <*> (inner, whole and trailing) and writes them back', () => {
    const tt = templateTokens('Authorized payment pay_<*> amount=<*> latency=<*>ms by <*>');
    expect(tt.slots).toBe(4);
    const body = 'Authorized payment pay_3fa9c1d2e4b5 amount=45.20 latency=95ms by worker 7 of pool';
    const values = slotValues(tt, body);
    expect(values).toEqual(['3fa9c1d2e4b5', '45.20', '95', 'worker 7 of pool']);
    expect(fillTemplate(tt, values!)).toBe(body);
    expect(new TemplateDictionary([{ id: 'x', template: tt.tokens.join(' ') }]).match(fillTemplate(tt, ['ab12', '1.00', '3', 'me']))?.id).toBe('x');
    expect(slotValues(tt, 'Captured payment pay_1 amount=2 latency=3ms by x')).toBeUndefined();
  });

  it('keeps line breaks of a stack trace when asked', () => {
    const tt = templateTokens('failed: <*> at a.b(C.java:<*>)');
    expect(fillTemplate(tt, ['timeout', '12'], [[2, '\n\t']])).toBe('failed: timeout\n\tat a.b(C.java:12)');
  });
});

describe('learnSlot', () => {
  it('categorical: at most SLOT_TOP_K values, most frequent first, with their shares', () => {
    const words = Array.from({ length: 20 }, (_, i) => `w${String.fromCharCode(97 + i)}`);
    // Zipf-like: the top 8 cover more than 90%.
    const values = words.flatMap((w, i) => Array.from({ length: Math.round(400 / (i + 1) ** 2) + 1 }, () => w));
    const s = learnSlot(values);
    expect(s.kind).toBe('cat');
    expect(s.values!.length).toBeLessThanOrEqual(SLOT_TOP_K);
    expect(s.values![0]).toBe('wa');
    for (let i = 1; i < s.shares!.length; i++) expect(s.shares![i]).toBeLessThanOrEqual(s.shares![i - 1]);
    expect(s.shares!.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1.0001);
    expect(s.n).toBe(values.length);
  });

  it('identifiers: a bounded number of examples, regenerated with fresh digits but the same shape', () => {
    const values = Array.from({ length: 300 }, () => `req_${hex(16)}`);
    const s = learnSlot(values);
    expect(s.kind).toBe('id');
    expect(s.values!.length).toBeLessThanOrEqual(SLOT_EXAMPLES);
    const r = mulberry32(1);
    for (let i = 0; i < 50; i++) {
      const v = drawSlot(s, r, T);
      expect(v).toMatch(/^req_[0-9a-f]{16}$/);
      expect(maskTokens(v)).toEqual(maskTokens(values[0]));
    }
    // Words and short numbers (v1, HTTP/1.1) are kept; long digit runs are redrawn.
    expect(regenerateId('/api/v1/products/SKU-10112', mulberry32(2))).toMatch(/^\/api\/v1\/products\/SKU-[1-9]\d{4}$/);
    expect(regenerateId('81.2.3.4', mulberry32(2))).toMatch(/^81\.\d{1,3}\.\d{1,3}\.\d{1,3}$/);
  });

  it('numbers: quantiles (monotone), integer or decimals, a unit suffix', () => {
    const ints = Array.from({ length: 200 }, () => String(int(5, 500)));
    const s = learnSlot(ints);
    expect(s.kind).toBe('num');
    expect(s.decimals).toBe(0);
    expect(s.quantiles).toHaveLength(7);
    for (let i = 1; i < 7; i++) expect(s.quantiles![i]).toBeGreaterThanOrEqual(s.quantiles![i - 1]);
    expect(s.quantiles![0]).toBeGreaterThanOrEqual(5);
    expect(s.quantiles![6]).toBeLessThanOrEqual(500);
    expect(learnSlot(Array.from({ length: 100 }, () => (rng() * 90 + 1).toFixed(2))).decimals).toBe(2);
    const ms = learnSlot(Array.from({ length: 100 }, () => `${int(1, 900)}ms`));
    expect(ms).toMatchObject({ kind: 'num', suffix: 'ms', decimals: 0 });
    expect(drawSlot(ms, mulberry32(3), T)).toMatch(/^\d+ms$/);
    // Few distinct values stay categorical (statuses, flags).
    expect(learnSlot(Array.from({ length: 100 }, (_, i) => (i % 10 === 0 ? '404' : '200'))).kind).toBe('cat');
    // Zero-padded or card-length digit strings are identifiers, never numbers.
    expect(learnSlot(Array.from({ length: 100 }, () => '0' + String(int(1000, 9999)))).kind).toBe('id');
    expect(learnSlot(Array.from({ length: 100 }, () => String(int(1e8, 9e8)) + String(int(1e6, 9e6)))).kind).toBe('id');
  });

  it('timestamps: a style, rewritten from the event time', () => {
    const s = learnSlot(Array.from({ length: 30 }, (_, i) => renderTime('YYYY/MM/DD hh:mm:ss', T + i * 61_000)));
    expect(s).toMatchObject({ kind: 'time', style: 'YYYY/MM/DD hh:mm:ss' });
    expect(drawSlot(s, rng, Date.UTC(2025, 0, 2, 3, 4, 5))).toBe('2025/01/02 03:04:05');
  });

  it('redaction placeholders stay literal, and a redrawn value never looks like a secret', () => {
    expect(learnSlot(Array.from({ length: 50 }, () => '[REDACTED]'))).toMatchObject({ kind: 'cat', values: ['[REDACTED]'] });
    // 16-digit identifiers: redrawn digits can form a Luhn-valid card number; those are not written.
    const cards: SlotStat = { kind: 'id', n: 1, values: ['4000123412341234'] };
    const r = mulberry32(9);
    let placeholders = 0;
    for (let i = 0; i < 500; i++) {
      const v = drawSlot(cards, r, T);
      expect(redact(v)).toBe(v);
      if (v === '[REDACTED]') placeholders++;
    }
    expect(placeholders).toBeGreaterThan(10); // about 1 in 10 random 16-digit numbers passes Luhn
  });
});

describe('time styles', () => {
  it('recognises and rewrites the usual timestamp formats', () => {
    const cases: Array<[string, string]> = [
      ['2024-05-06T08:00:01.123Z', 'YYYY-MM-DDThh:mm:ss.f3Z'],
      ['2024-05-06 08:00:01,123', 'YYYY-MM-DD hh:mm:ss,f3'],
      ['2024-05-06T08:00:01.123456+00:00', 'YYYY-MM-DDThh:mm:ss.f6+00:00'],
      ['06/May/2024:08:00:01 +0000', 'DD/Mon/YYYY:hh:mm:ss +0000'],
      ['2024/05/06 08:00:01', 'YYYY/MM/DD hh:mm:ss'],
      ['May  6 08:00:01', 'Mon D_ hh:mm:ss'],
      ['Mon May 06 08:00:01 2024', 'Day Mon DD hh:mm:ss YYYY'],
    ];
    for (const [text, style] of cases) {
      expect(detectTimeValue(text)).toBe(style);
      expect(renderTime(style, Date.UTC(2024, 4, 6, 8, 0, 1, 123))).toBe(text.replace('123456', '123000'));
    }
    expect(detectTimeValue(1714982401123)).toBe('epoch-ms');
    expect(detectTimeValue('1714982401')).toBe('epoch-s');
    expect(detectTimeAt('2024-05-06 08:00:01,123 INFO x')).toEqual({ style: 'YYYY-MM-DD hh:mm:ss,f3', length: 23 });
    expect(detectTimeValue('not a time')).toBeUndefined();
  });
});

describe('learnTemplateShape', () => {
  it('JSON lines: the same keys in the same order, roles found by probing the parser', () => {
    const samples = Array.from({ length: 60 }, (_, i) =>
      JSON.stringify({
        timestamp: new Date(T + i * 60_000).toISOString(),
        level: i % 10 === 0 ? 'WARN' : 'INFO',
        service: 'checkout',
        msg: 'request completed',
        req_id: `req_${hex(16)}`,
        method: ['GET', 'POST'][i % 2],
        path: '/v1/cart',
        status: i % 10 === 0 ? 404 : 200,
        latency_ms: int(5, 400),
        http: { bytes: int(100, 9000) },
        host: 'ip-10-0-1-2.ec2.internal',
      }),
    );
    const shape = learnTemplateShape('request completed', samples)!;
    const layout = shape.layout as FieldsLayout;
    expect(layout.format).toBe('json');
    expect(layout.fields.map((f) => f.key)).toEqual(['timestamp', 'level', 'service', 'msg', 'req_id', 'method', 'path', 'status', 'latency_ms', 'http.bytes', 'host']);
    expect(layout.fields.map((f) => f.role)).toEqual(['ts', 'level', 'value', 'msg', 'value', 'value', 'value', 'value', 'value', 'value', 'value']);
    const byKey = new Map(layout.fields.map((f) => [f.key, f]));
    expect(byKey.get('timestamp')?.style).toBe('YYYY-MM-DDThh:mm:ss.f3Z');
    expect(byKey.get('status')?.slot).toMatchObject({ kind: 'cat', role: 'status' });
    expect(byKey.get('latency_ms')?.slot).toMatchObject({ kind: 'num', role: 'latency', unit: 1 });
    expect(byKey.get('http.bytes')).toMatchObject({ nested: true, type: 'number' });
    expect(byKey.get('http.bytes')?.slot?.role).toBe('bytes');
    expect(shape.levels).toEqual({ INFO: 0.9, WARN: 0.1 });
    // Written back: the same keys, nesting and values parse to the same canonical fields.
    const line = renderLine(layout, { t: T, level: 'WARN', body: 'request completed', holes: ['checkout', 'req_00ab', 'GET', '/v1/cart', '404', '12', '512', 'h'] });
    expect(Object.keys(JSON.parse(line))).toEqual(['timestamp', 'level', 'service', 'msg', 'req_id', 'method', 'path', 'status', 'latency_ms', 'http', 'host']);
    const parsed = parseLine(line, 0);
    expect(parsed).toMatchObject({ format: 'json', level: 'WARN', body: 'request completed', status: 404, timestamp: T, numeric: { latencyMs: 12, bytes: 512 } });
  });

  it('text lines: the header layout (timestamp, level, thread, logger), body slots and latency in seconds', () => {
    const samples = Array.from({ length: 80 }, (_, i) => {
      const ts = renderTime('YYYY-MM-DD hh:mm:ss,f3', T + i * 60_000);
      return `${ts} INFO [http-nio-8080-exec-${int(1, 20)}] c.h.PaymentService - Authorized payment pay_${hex(12)} amount=${(rng() * 90 + 1).toFixed(2)} currency=${['EUR', 'GBP'][i % 2]} took=${(rng() * 0.5).toFixed(3)}s`;
    });
    const shape = learnTemplateShape('Authorized payment pay_<*> amount=<*> currency=<*> took=<*>s', samples)!;
    const layout = shape.layout as PartsLayout;
    expect(layout.format).toBe('text');
    expect(layout.parts.map((p) => (typeof p === 'string' ? p : Object.keys(p)[0]))).toEqual([
      'ts', ' ', 'level', ' [http-nio-', 'slot', '-exec-', 'slot', '] c.h.PaymentService - ', 'body',
    ]);
    expect(shape.slots.map((s) => s.kind)).toEqual(['id', 'num', 'cat', 'num']);
    expect(shape.slots[1].decimals).toBe(2);
    expect(shape.slots[3]).toMatchObject({ role: 'latency', unit: 1000, decimals: 3 });
    const body = fillTemplate(templateTokens('Authorized payment pay_<*> amount=<*> currency=<*> took=<*>s'), ['abc123abc123', '3.50', 'EUR', '0.250']);
    const line = renderLine(layout, { t: T, level: 'ERROR', body, holes: ['8080', '7'] });
    expect(line).toBe(`2024-05-06 08:00:01,123 ERROR [http-nio-8080-exec-7] c.h.PaymentService - ${body}`);
    expect(parseLine(line, 0)).toMatchObject({ level: 'ERROR', timestamp: T, body, numeric: { latencyMs: 250 } });
  });

  it('access lines: every field learned, status/bytes/request time roles', () => {
    const samples = Array.from({ length: 60 }, (_, i) => {
      const status = i % 6 === 0 ? 404 : 200;
      return `81.2.${int(0, 255)}.${int(1, 254)} - - [06/May/2024:08:${String(i % 60).padStart(2, '0')}:01 +0000] "GET /api/v1/products/SKU-${int(10000, 11000)}?page=${int(1, 3)} HTTP/1.1" ${status} ${int(100, 9000)} "-" "okhttp/4.12.0" ${(rng() * 0.3).toFixed(3)}`;
    });
    // The body is `GET <path without query> <status>`: a path with digits and the status are
    // variables, and runs of variables collapse into one `<*>`.
    const shape = learnTemplateShape('GET <*>', samples)!;
    const layout = shape.layout as PartsLayout;
    expect(layout.format).toBe('access');
    const slots = layout.parts.filter((p): p is { slot: SlotStat } => typeof p === 'object' && 'slot' in p).map((p) => p.slot);
    expect(slots.map((s) => s.role ?? '-')).toEqual(['-', '-', '-', '-', '-', '-', '-', 'status', 'bytes', '-', '-', 'latency']);
    expect(slots[11]).toMatchObject({ unit: 1000, decimals: 3 });
    expect(shape.levels).toMatchObject({ INFO: expect.any(Number), WARN: expect.any(Number) });
  });

  it('logfmt lines: keys in order, redaction placeholders kept as literal values', () => {
    const samples = Array.from({ length: 40 }, (_, i) =>
      redact(`time=${new Date(T + i * 60_000).toISOString()} level=debug msg="access token issued" sub=u_${int(1e7, 9e7)} token=eyJhbGciOiJSUzI1NiJ9.${hex(20)} expires_in=900`),
    );
    expect(samples[0]).toContain('token=[REDACTED]');
    const shape = learnTemplateShape('access token issued', samples)!;
    const layout = shape.layout as FieldsLayout;
    expect(layout.format).toBe('kv');
    expect(layout.fields.map((f) => `${f.key}:${f.role}`)).toEqual(['time:ts', 'level:level', 'msg:msg', 'sub:value', 'token:value', 'expires_in:value']);
    expect(layout.fields[4].slot).toMatchObject({ kind: 'cat', values: ['[REDACTED]'] });
    const line = renderLine(layout, { t: T, level: 'DEBUG', body: 'access token issued', holes: ['u_1', '[REDACTED]', '900'] });
    expect(line).toBe('time=2024-05-06T08:00:01.123Z level=debug msg="access token issued" sub=u_1 token=[REDACTED] expires_in=900');
    expect(redact(line)).toBe(line);
  });

  it('ignores samples that do not fit the template and returns nothing when none does', () => {
    expect(learnTemplateShape('request completed', ['{"msg":"something else"}', 'plain text'])).toBeUndefined();
  });
});

describe('shapes in the profile build', () => {
  // Template names without digits (a digit would make the name itself a variable).
  const ids = Array.from({ length: 40 }, (_, i) => `t${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`);
  const windows: WindowFeatures[] = [];
  for (let i = 0; i < 120; i++) {
    const w = emptyWindowFeatures('svc#eu-west-1', T + i * 60_000);
    for (const id of ids) {
      w.samples[id] = `2024-05-06 08:00:01,123 INFO [main] c.h.S${id} - event ${id} user=u_${int(1e7, 9e7)} took=${int(1, 900)}ms from ${['web', 'ios', 'android'][i % 3]} ${'x'.repeat(200)}`;
      w.templates[id] = 10;
    }
    windows.push(w);
  }
  const templates = ids.map((id, i) => ({ id, template: `event ${id} user=u_<*> took=<*>ms from <*> ${'x'.repeat(200)}`, count: 1000 - i, level: 'INFO' as const }));

  it('learns slots for every template when there is room, and they survive the stored form (zod)', () => {
    const p = buildProfile({ partition: 'svc#eu-west-1', windows, templates, version: 1, builtAt: T });
    expect(p.templates.every((t) => t.slots && t.layout && t.levels)).toBe(true);
    const t0 = p.templates[0];
    expect(t0.slots!.map((s) => s.kind)).toEqual(['num', 'num', 'cat']);
    expect(t0.slots![1]).toMatchObject({ decimals: 0, quantiles: expect.any(Array) });
    expect(validateProfile(JSON.parse(JSON.stringify(p)))).toEqual(p);
  });

  it('stays under maxBytes: the dictionary first, shapes for the most frequent templates in the room left', () => {
    const bare = buildProfile({ partition: 'svc#eu-west-1', windows, templates, version: 1, builtAt: T, learnShapes: false });
    const maxBytes = profileSizeBytes(bare) + 12_000;
    const p = buildProfile({ partition: 'svc#eu-west-1', windows, templates, version: 1, builtAt: T, maxBytes });
    expect(p.templates).toHaveLength(bare.templates.length);
    expect(profileSizeBytes(p)).toBeLessThan(maxBytes);
    const withShape = p.templates.filter((t) => t.layout).length;
    expect(withShape).toBeGreaterThan(0);
    expect(withShape).toBeLessThan(p.templates.length);
    // Most frequent first.
    expect(p.templates[0].layout).toBeDefined();
    expect(bare.templates.every((t) => t.slots === undefined)).toBe(true);
  });

  it('an old profile without shapes still validates', () => {
    const bare = buildProfile({ partition: 'svc#eu-west-1', windows, templates, version: 1, builtAt: T, learnShapes: false });
    expect(() => validateProfile(JSON.parse(JSON.stringify(bare)))).not.toThrow();
  });

  it('collectSamples thins evenly and attachShapes reports how many templates got a shape', () => {
    const all = collectSamples(windows, new Set([ids[0]]), 30);
    expect(all.get(ids[0])).toHaveLength(30);
    expect(all.get(ids[0])![1]).toBe(windows[4].samples[ids[0]]);
    const profile = { templates: [{ id: ids[0], template: templates[0].template }, { id: 'nope', template: 'x <*>' }] };
    expect(attachShapes(profile, windows, { maxBytes: 1e6 })).toBe(1);
  });

});
