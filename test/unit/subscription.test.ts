import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeRecord, DecodeError } from '../../functions/core/decode';
import { encodeControlMessage, encodeSubscriptionPayload, type SubscriptionMessage } from '../../functions/core/subscription';
import type { LogEvent } from '../../functions/core/types';

const T = Date.UTC(2024, 4, 8, 12, 30, 15, 250);
const GROUP = '/harbinger/eu-west-1/checkout';
const STREAM = 'checkout-eu-west-1-0/3f2a9c1e-0b7d-4c55-9a10-6e2f1d0c4b88';
const FALLBACK = { arrivalTimestamp: 1, sequenceNumber: '49590338271490256608559692538361571095921575989136588898' };

function ev(i: number, over: Partial<LogEvent> = {}): LogEvent {
  return {
    id: `3${String(T + i).padStart(20, '0')}${String(i).padStart(35, '0')}`,
    timestamp: T + i * 137,
    message: `{"level":"INFO","msg":"order ${i} placed","latency_ms":${10 + i}}`,
    logGroup: GROUP,
    logStream: STREAM,
    ...over,
  };
}

function unzipJson(buf: Buffer): SubscriptionMessage {
  return JSON.parse(gunzipSync(buf).toString('utf8')) as SubscriptionMessage;
}

describe('encodeSubscriptionPayload', () => {
  it('produces a gzip buffer (magic 1f 8b)', () => {
    const buf = encodeSubscriptionPayload([ev(0)]);
    expect(Buffer.isBuffer(buf)).toBe(true);
    expect(buf[0]).toBe(0x1f);
    expect(buf[1]).toBe(0x8b);
  });

  it('gunzips to exactly the CloudWatch Logs DATA_MESSAGE document', () => {
    const events = [ev(0), ev(1), ev(2)];
    const doc = unzipJson(encodeSubscriptionPayload(events));
    expect(Object.keys(doc)).toEqual(['messageType', 'owner', 'logGroup', 'logStream', 'subscriptionFilters', 'logEvents']);
    expect(doc).toEqual({
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: GROUP,
      logStream: STREAM,
      subscriptionFilters: ['harbinger'],
      logEvents: events.map((e) => ({ id: e.id, timestamp: e.timestamp, message: e.message })),
    });
    // Each log event carries exactly id, timestamp, message (group/stream live on the envelope only).
    for (const e of doc.logEvents) expect(Object.keys(e)).toEqual(['id', 'timestamp', 'message']);
    expect(typeof doc.logEvents[0].timestamp).toBe('number');
  });

  it('honours the owner and filter name options', () => {
    const doc = unzipJson(encodeSubscriptionPayload([ev(0)], { owner: '210987654321', filterName: 'all-logs' }));
    expect(doc.owner).toBe('210987654321');
    expect(doc.subscriptionFilters).toEqual(['all-logs']);
  });

  it('keeps the events in input order, including equal timestamps', () => {
    const events = [ev(3, { timestamp: T }), ev(1, { timestamp: T }), ev(2, { timestamp: T - 5 })];
    const doc = unzipJson(encodeSubscriptionPayload(events));
    expect(doc.logEvents.map((e) => e.id)).toEqual(events.map((e) => e.id));
  });

  it('preserves unicode, quotes, backslashes and newlines in messages byte for byte', () => {
    const messages = ['naïve café 日本語 😀', 'quote " and backslash \\ end', 'multi\nline\tstack\r\n  at x', '', '{"nested":"{\\"a\\":1}"}'];
    const events = messages.map((m, i) => ev(i, { message: m }));
    const doc = unzipJson(encodeSubscriptionPayload(events));
    expect(doc.logEvents.map((e) => e.message)).toEqual(messages);
  });

  it('throws a clear error on an empty batch', () => {
    expect(() => encodeSubscriptionPayload([])).toThrowError(/no events to encode/);
  });

  it('throws a clear error when events mix log streams of one group', () => {
    const other = 'checkout-eu-west-1-1/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
    expect(() => encodeSubscriptionPayload([ev(0), ev(1), ev(2, { logStream: other })])).toThrowError(
      new RegExp(`mix log streams .*${escape(STREAM)}.*${escape(other)}`),
    );
  });

  it('throws a clear error when events mix log groups with the same stream name', () => {
    const other = '/harbinger/us-east-1/checkout';
    let err: unknown;
    try {
      encodeSubscriptionPayload([ev(0), ev(1, { logGroup: other })]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toContain('mix log streams');
    expect(msg).toContain(`${GROUP}/${STREAM}`);
    expect(msg).toContain(`${other}/${STREAM}`);
    expect(msg).toContain('group them per stream');
  });

  it('is deterministic: the same events give the same document', () => {
    const events = [ev(0), ev(1)];
    expect(gunzipSync(encodeSubscriptionPayload(events)).equals(gunzipSync(encodeSubscriptionPayload(events)))).toBe(true);
  });
});

describe('encodeSubscriptionPayload -> decodeRecord round trip', () => {
  it('round-trips through raw bytes', () => {
    const events = Array.from({ length: 25 }, (_, i) => ev(i));
    const decoded = decodeRecord(encodeSubscriptionPayload(events, { owner: '111122223333' }), FALLBACK);
    expect(decoded).toEqual({ kind: 'data', owner: '111122223333', logGroup: GROUP, logStream: STREAM, events });
  });

  it('round-trips through base64 as in a KinesisStreamEvent record', () => {
    const events = [ev(0, { message: 'ünïcödé 😀 line' }), ev(1, { message: '2024-05-08 12:30:15,250 ERROR [main] c.e.Pay - boom' })];
    const data = encodeSubscriptionPayload(events).toString('base64');
    const decoded = decodeRecord(data, FALLBACK);
    expect(decoded.kind).toBe('data');
    if (decoded.kind !== 'data') return;
    expect(decoded.events).toEqual(events);
    // Envelope timestamps survive exactly; the fallback arrival time is not used.
    expect(decoded.events.map((e) => e.timestamp)).toEqual(events.map((e) => e.timestamp));
  });

  it('round-trips a large batch (thousands of events)', () => {
    const events = Array.from({ length: 3000 }, (_, i) => ev(i, { message: `line ${i} ${'x'.repeat(i % 200)}` }));
    const decoded = decodeRecord(encodeSubscriptionPayload(events), FALLBACK);
    expect(decoded.kind === 'data' && decoded.events.length).toBe(3000);
    expect(decoded.kind === 'data' && decoded.events[2999]).toEqual(events[2999]);
  });

  it('a corrupted payload is rejected by the decoder, not silently accepted', () => {
    const buf = Buffer.from(encodeSubscriptionPayload([ev(0)]));
    const truncated = buf.subarray(0, buf.length - 8);
    expect(() => decodeRecord(truncated, FALLBACK)).toThrow(DecodeError);
  });
});

describe('encodeControlMessage', () => {
  it('gunzips to the CONTROL_MESSAGE CloudWatch sends when a subscription is created', () => {
    const buf = encodeControlMessage();
    expect(buf[0]).toBe(0x1f);
    expect(buf[1]).toBe(0x8b);
    const doc = unzipJson(buf);
    expect(Object.keys(doc)).toEqual(['messageType', 'owner', 'logGroup', 'logStream', 'subscriptionFilters', 'logEvents']);
    expect(doc.messageType).toBe('CONTROL_MESSAGE');
    expect(doc.owner).toBe('CloudwatchLogs');
    expect(doc.logGroup).toBe('');
    expect(doc.logStream).toBe('');
    expect(doc.subscriptionFilters).toEqual([]);
    expect(doc.logEvents).toHaveLength(1);
    expect(Object.keys(doc.logEvents[0])).toEqual(['id', 'timestamp', 'message']);
    expect(doc.logEvents[0].id).toBe('');
    expect(Number.isInteger(doc.logEvents[0].timestamp)).toBe(true);
    expect(doc.logEvents[0].timestamp).toBeGreaterThan(Date.UTC(2020, 0, 1));
    expect(doc.logEvents[0].message).toBe('CWL CONTROL MESSAGE: Checking health of destination Kinesis stream.');
  });

  it('decodes as a control record (bytes and base64)', () => {
    expect(decodeRecord(encodeControlMessage(), FALLBACK)).toEqual({ kind: 'control' });
    expect(decodeRecord(encodeControlMessage().toString('base64'), FALLBACK)).toEqual({ kind: 'control' });
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
