import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeRecord, DecodeError } from '../../functions/core/decode';
import { encodeControlMessage, encodeSubscriptionPayload } from '../../functions/core/subscription';
import type { LogEvent } from '../../functions/core/types';

const fallback = { arrivalTimestamp: 1_714_564_800_000, sequenceNumber: '4955', partitionKey: 'pk-1' };
const events: LogEvent[] = [
  { id: 'e1', timestamp: 1_714_564_801_000, message: 'hello', logGroup: '/aws/lambda/orders', logStream: 's1' },
  { id: 'e2', timestamp: 1_714_564_802_000, message: '{"level":"error"}', logGroup: '/aws/lambda/orders', logStream: 's1' },
];

function expectDecodeError(data: string | Uint8Array, reason: string, text: RegExp): void {
  try {
    decodeRecord(data, fallback);
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).reason).toBe(reason);
    expect((err as DecodeError).message).toMatch(text);
    return;
  }
  throw new Error('expected DecodeError');
}

describe('decodeRecord: subscription payloads', () => {
  it('decodes a base64 DATA_MESSAGE made by encodeSubscriptionPayload', () => {
    const b64 = encodeSubscriptionPayload(events, { owner: '111122223333' }).toString('base64');
    const d = decodeRecord(b64, fallback);
    expect(d).toEqual({ kind: 'data', owner: '111122223333', logGroup: '/aws/lambda/orders', logStream: 's1', events });
  });

  it('decodes raw bytes (Buffer and plain Uint8Array)', () => {
    const buf = encodeSubscriptionPayload(events);
    expect(decodeRecord(buf, fallback)).toMatchObject({ kind: 'data', events });
    expect(decodeRecord(new Uint8Array(buf), fallback)).toMatchObject({ kind: 'data', events });
  });

  it('returns control for CONTROL_MESSAGE', () => {
    expect(decodeRecord(encodeControlMessage().toString('base64'), fallback)).toEqual({ kind: 'control' });
    expect(decodeRecord(encodeControlMessage(), fallback)).toEqual({ kind: 'control' });
  });

  it('throws gzip errors on corrupt gzip', () => {
    const bad = Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not really gzip')]);
    expectDecodeError(bad.toString('base64'), 'gzip', /gzip/);
  });

  it('throws json errors when gunzipped bytes are not JSON', () => {
    expectDecodeError(gzipSync(Buffer.from('{nope')).toString('base64'), 'json', /not JSON/);
  });

  it('throws schema errors naming the field', () => {
    const doc = { messageType: 'DATA_MESSAGE', owner: 'o', logGroup: 'g', logStream: 's', subscriptionFilters: [], logEvents: [{ id: 'x', timestamp: 'soon', message: 'm' }] };
    expectDecodeError(gzipSync(Buffer.from(JSON.stringify(doc))), 'schema', /logEvents\[0\]/);
    const noGroup = { ...doc, logGroup: undefined, logEvents: [] };
    expectDecodeError(gzipSync(Buffer.from(JSON.stringify(noGroup))), 'schema', /logGroup/);
    const badType = { ...doc, messageType: 'OTHER' };
    expectDecodeError(gzipSync(Buffer.from(JSON.stringify(badType))), 'schema', /messageType/);
  });
});

describe('decodeRecord: plain JSON', () => {
  it('decodes one JSON object with logGroup, logStream and ISO timestamp', () => {
    const line = '{"logGroup":"/aws/lambda/api","logStream":"st","timestamp":"2024-05-01T12:00:05Z","msg":"ok"}';
    const d = decodeRecord(Buffer.from(line).toString('base64'), fallback);
    expect(d).toEqual({
      kind: 'data',
      logGroup: '/aws/lambda/api',
      logStream: 'st',
      events: [{ id: '4955:0', timestamp: Date.UTC(2024, 4, 1, 12, 0, 5), message: line, logGroup: '/aws/lambda/api', logStream: 'st' }],
    });
  });

  it('decodes NDJSON with service-derived groups, epoch seconds/ms and fallbacks', () => {
    const lines = [
      '{"service":"checkout","region":"eu-west-1","ts":1714564810,"msg":"a"}',
      '',
      '{"service":"checkout","time":1714564811000,"msg":"b"}',
      '{"log_group":"/custom/x","@timestamp":"not a time","msg":"c"}',
      '{"msg":"d"}',
    ];
    const d = decodeRecord(Buffer.from(lines.join('\n')), fallback);
    if (d.kind !== 'data') throw new Error('expected data');
    expect(d.events.map((e) => e.id)).toEqual(['4955:0', '4955:1', '4955:2', '4955:3']);
    expect(d.events.map((e) => e.logGroup)).toEqual([
      '/harbinger/eu-west-1/checkout',
      '/harbinger/default/checkout',
      '/custom/x',
      'unknown',
    ]);
    expect(d.events.map((e) => e.timestamp)).toEqual([1714564810000, 1714564811000, fallback.arrivalTimestamp, fallback.arrivalTimestamp]);
    expect(d.events.every((e) => e.logStream === 'pk-1')).toBe(true);
    expect(d.events[1].message).toBe(lines[2]);
    expect(d.logGroup).toBe('/harbinger/eu-west-1/checkout');
  });

  it('uses fallback.region and "direct" when no partition key', () => {
    const d = decodeRecord(Buffer.from('{"service":"a"}'), { arrivalTimestamp: 5, sequenceNumber: '9', region: 'us-east-2' });
    expect(d).toMatchObject({ kind: 'data', logGroup: '/harbinger/us-east-2/a', logStream: 'direct', events: [{ id: '9:0', timestamp: 5 }] });
  });

  it('accepts a pretty-printed single object', () => {
    const d = decodeRecord(Buffer.from('{\n  "msg": "x",\n  "logStream": "s9"\n}\n'), fallback);
    expect(d).toMatchObject({ kind: 'data', logStream: 's9', events: [{ id: '4955:0' }] });
  });

  it('rejects malformed input with DecodeError', () => {
    expectDecodeError('!!!not base64!!!', 'base64', /base64/);
    expectDecodeError('abcde', 'base64', /base64/);
    expectDecodeError(Buffer.from('plain text line'), 'json', /neither gzip/);
    expectDecodeError(Buffer.from('{"a":1}\n{broken'), 'json', /line 2/);
    expectDecodeError(Buffer.from('{"a":1}\n[1,2]'), 'schema', /line 2 must be a JSON object/);
    expectDecodeError(Buffer.from('   '), 'empty', /blank/);
    expectDecodeError('', 'empty', /empty/);
  });
});
