import { describe, expect, it } from 'vitest';
import { normaliseLevel, parseLine, toEpochMs } from '../../functions/core/parse';

const ENV = Date.UTC(2024, 4, 2, 0, 0, 0);

describe('parseLine: JSON', () => {
  it('extracts level, message, timestamp, status, numerics and flattened fields', () => {
    const p = parseLine(
      '{"level":"error","msg":"db timeout","timestamp":"2024-05-01T12:00:00.250Z","latency_ms":120,"status":503,"bytes":"2048","http":{"method":"GET"},"user":"bob","ok":false}',
      ENV,
    );
    expect(p).toEqual({
      timestamp: Date.UTC(2024, 4, 1, 12, 0, 0, 250),
      level: 'ERROR',
      format: 'json',
      body: 'db timeout',
      status: 503,
      numeric: { latencyMs: 120, bytes: 2048 },
      fields: { 'http.method': 'GET', user: 'bob', ok: false },
    });
  });

  it('converts seconds from key or unit, reads epoch seconds and ratios', () => {
    const p = parseLine('{"severity":"WARNING","time":1714564800,"duration_s":1.5,"cpu":0.42,"mem_pct":71}', ENV);
    expect(p.level).toBe('WARN');
    expect(p.timestamp).toBe(1714564800000);
    expect(p.numeric).toEqual({ latencyMs: 1500, cpuPct: 42, memPct: 71 });
    expect(parseLine('{"msg":"x","duration":"250ms"}', ENV).numeric.latencyMs).toBe(250);
    expect(parseLine('{"msg":"x","elapsed":"2s"}', ENV).numeric.latencyMs).toBe(2000);
    expect(parseLine('{"msg":"x","response_time":35}', ENV).numeric.latencyMs).toBe(35);
  });

  it('renders keys stably when there is no message; pino numeric levels; status-derived level', () => {
    const p = parseLine('{"level":50,"route":"/pay","code":"E42"}', ENV);
    expect(p.level).toBe('ERROR');
    expect(p.body).toBe('route=/pay code=E42');
    expect(p.timestamp).toBe(ENV);
    expect(parseLine('{"msg":"x","statusCode":404}', ENV).level).toBe('WARN');
    expect(parseLine('{"msg":"x","res":{"statusCode":500}}', ENV)).toMatchObject({ status: 500, level: 'ERROR' });
  });
});

describe('parseLine: access logs', () => {
  it('parses combined format with request time in seconds', () => {
    const p = parseLine(
      '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?x=1 HTTP/1.0" 200 2326 "http://example.com/start" "Mozilla/4.08" 0.123',
      ENV,
    );
    expect(p).toMatchObject({
      format: 'access',
      level: 'INFO',
      status: 200,
      body: 'GET /apache_pb.gif 200',
      timestamp: Date.UTC(2000, 9, 10, 20, 55, 36),
      numeric: { bytes: 2326, latencyMs: 123 },
      fields: { remote: '127.0.0.1', user: 'frank', method: 'GET', path: '/apache_pb.gif', userAgent: 'Mozilla/4.08' },
    });
  });

  it('parses common format; 5xx is ERROR, 4xx is WARN; "-" bytes omitted', () => {
    const e = parseLine('10.0.0.1 - - [01/May/2024:12:00:00 +0000] "POST /api/v1/orders HTTP/1.1" 502 -', ENV);
    expect(e).toMatchObject({ format: 'access', level: 'ERROR', status: 502, body: 'POST /api/v1/orders 502', timestamp: Date.UTC(2024, 4, 1, 12) });
    expect(e.numeric).toEqual({});
    const w = parseLine('10.0.0.1 - - [01/May/2024:12:00:00 +0000] "GET /x HTTP/1.1" 404 12 "-" "curl/8" 87', ENV);
    expect(w).toMatchObject({ level: 'WARN', numeric: { bytes: 12, latencyMs: 87 } });
  });
});

describe('parseLine: logfmt', () => {
  it('parses key=value with quoted values and units', () => {
    const p = parseLine('ts=2024-05-01T12:00:00Z level=warn msg="slow request" duration=250ms status=200 path=/x cpu=93', ENV);
    expect(p).toEqual({
      timestamp: Date.UTC(2024, 4, 1, 12),
      level: 'WARN',
      format: 'kv',
      body: 'slow request',
      status: 200,
      numeric: { latencyMs: 250, cpuPct: 93 },
      fields: { path: '/x' },
    });
  });
});

describe('parseLine: text', () => {
  it('ISO timestamp, level, thread; kv numerics in the body', () => {
    const p = parseLine('2024-05-01T12:00:00.123Z ERROR [worker-3] something broke id=42 latency=12ms', ENV);
    expect(p).toMatchObject({
      format: 'text',
      level: 'ERROR',
      timestamp: Date.UTC(2024, 4, 1, 12, 0, 0, 123),
      body: 'something broke id=42 latency=12ms',
      numeric: { latencyMs: 12 },
      fields: { thread: 'worker-3', id: 42 },
    });
  });

  it('Log4j-ish with comma millis (UTC assumed) and logger', () => {
    const p = parseLine('2024-05-01 12:00:00,123 WARN [main] com.acme.Foo - disk at 91%', ENV);
    expect(p).toMatchObject({ level: 'WARN', timestamp: Date.UTC(2024, 4, 1, 12, 0, 0, 123), body: 'disk at 91%', fields: { thread: 'main', logger: 'com.acme.Foo' } });
  });

  it('timestamp with zone offset', () => {
    expect(parseLine('2024-05-01T14:00:00+02:00 INFO up', ENV).timestamp).toBe(Date.UTC(2024, 4, 1, 12));
  });

  it('syslog with year from the envelope, host/process/pid, priority level', () => {
    const p = parseLine('May  1 12:00:00 host1 sshd[123]: Failed password for root from 1.2.3.4', ENV);
    expect(p).toMatchObject({ timestamp: Date.UTC(2024, 4, 1, 12), body: 'Failed password for root from 1.2.3.4', level: 'UNKNOWN', fields: { host: 'host1', process: 'sshd', pid: 123 } });
    expect(parseLine('<11>May  1 12:00:00 host1 app: boom', ENV)).toMatchObject({ level: 'ERROR', body: 'boom' });
    // December line seen on Jan 1st belongs to the previous year
    expect(parseLine('Dec 31 23:59:00 h p: x', Date.UTC(2025, 0, 1, 0, 1)).timestamp).toBe(Date.UTC(2024, 11, 31, 23, 59));
  });

  it('level-only and bracketed headers', () => {
    expect(parseLine('ERROR: plain error', ENV)).toMatchObject({ level: 'ERROR', body: 'plain error', timestamp: ENV });
    expect(parseLine('[2024-05-01 12:00:00] [INFO] ready', ENV)).toMatchObject({ level: 'INFO', body: 'ready', timestamp: Date.UTC(2024, 4, 1, 12) });
  });

  it('never throws on odd input', () => {
    for (const odd of ['', '   ', '{"not json', '{}', '[1,2]', 'weird ☃ input {', '=', 'a=', '\u0000\u0001', 'x'.repeat(10000)]) {
      const p = parseLine(odd, ENV);
      expect(p.timestamp).toBe(ENV);
      expect(typeof p.body).toBe('string');
    }
    expect(parseLine('{"not json', ENV)).toMatchObject({ format: 'text', level: 'UNKNOWN', body: '{"not json' });
  });
});

describe('helpers', () => {
  it('toEpochMs by magnitude and format', () => {
    expect(toEpochMs(1714564800)).toBe(1714564800000);
    expect(toEpochMs(1714564800123)).toBe(1714564800123);
    expect(toEpochMs(1714564800123456)).toBe(1714564800123);
    expect(toEpochMs('1714564800')).toBe(1714564800000);
    expect(toEpochMs('2024-05-01 12:00:00')).toBe(Date.UTC(2024, 4, 1, 12));
    expect(toEpochMs('01/May/2024:12:00:00 +0100')).toBe(Date.UTC(2024, 4, 1, 11));
    expect(toEpochMs('nope')).toBeUndefined();
    expect(toEpochMs(undefined)).toBeUndefined();
  });

  it('normaliseLevel', () => {
    expect(['warning', 'ERR', 'crit', 'notice', 'fine', 30, '3', 'bogus'].map(normaliseLevel)).toEqual(['WARN', 'ERROR', 'FATAL', 'INFO', 'DEBUG', 'INFO', 'ERROR', 'UNKNOWN']);
  });
});

describe('parseLine: ctime stamps (Apache error log)', () => {
  it('reads [Www Mmm dd hh:mm:ss yyyy] and the bracketed level after it', () => {
    const e = parseLine('[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6', 0);
    expect(e.timestamp).toBe(Date.UTC(2005, 11, 4, 4, 47, 44));
    expect(e.level).toBe('ERROR');
    expect(e.body).toBe('mod_jk child workerEnv in error state 6');
  });
});
