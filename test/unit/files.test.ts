import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { listFiles, readLogFile } from '../../infra/local/files';

const dir = (): string => mkdtempSync(join(tmpdir(), 'harbinger-files-'));

describe('log file reader', () => {
  it('reads a CloudWatch Logs export with its log group and streams', () => {
    const d = dir();
    const f = join(d, 'export.json');
    writeFileSync(
      f,
      JSON.stringify({
        events: [
          { logStreamName: 'a', timestamp: 1_700_000_000_000, message: 'GET / 200\n', eventId: '1' },
          { logStreamName: 'b', timestamp: 1_700_000_001_000, message: 'GET /x 500\n', eventId: '2' },
          { logStreamName: 'b', timestamp: 'nope', message: 'broken', eventId: '3' },
        ],
      }),
    );
    const r = readLogFile(f);
    expect(r.kind).toBe('cloudwatch-export');
    expect(r.events).toHaveLength(2);
    expect(r.skipped).toBe(1);
    expect(r.events[1]).toMatchObject({ logStream: 'b', message: 'GET /x 500', timestamp: 1_700_000_001_000 });
  });

  it('reads JSON lines and text lines, gzipped or not, with times from the lines and the file name as service', () => {
    const d = dir();
    writeFileSync(join(d, 'orders.log'), '2024-05-01T12:00:00.000Z INFO started\n\n2024-05-01T12:00:05.000Z ERROR failed id=3\n');
    writeFileSync(join(d, 'api.jsonl.gz'), gzipSync('{"time":"2024-05-01T12:01:00Z","level":"warn","msg":"slow"}\n'));
    const [api, orders] = listFiles(d).map((f) => readLogFile(f, 'eu-west-1'));
    expect(orders.kind).toBe('lines');
    expect(orders.events.map((e) => e.timestamp)).toEqual([Date.parse('2024-05-01T12:00:00Z'), Date.parse('2024-05-01T12:00:05Z')]);
    expect(orders.skipped).toBe(1);
    expect(orders.events[0].logGroup).toBe('/harbinger/eu-west-1/orders');
    expect(api.events[0].timestamp).toBe(Date.parse('2024-05-01T12:01:00Z'));
    expect(api.events[0].logGroup).toBe('/harbinger/eu-west-1/api');
  });

  it('lists folders recursively, skipping hidden files, and says clearly when a path is missing', () => {
    const d = dir();
    mkdirSync(join(d, 'sub'));
    writeFileSync(join(d, 'sub', 'x.log'), 'a\n');
    writeFileSync(join(d, '.hidden'), 'a\n');
    expect(listFiles(d)).toEqual([join(d, 'sub', 'x.log')]);
    expect(() => listFiles(join(d, 'nope'))).toThrow(/No such file or folder/);
  });
});

describe('log file reader: timestamps', () => {
  it('gives year-less syslog lines the reading year, backfills undated leading lines, and flags files with no stamps', () => {
    const d = dir();
    const now = Date.UTC(2026, 10, 22, 12, 0);
    writeFileSync(join(d, 'sys.log'), 'continuation without a stamp\nJun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure\nanother undated line\n');
    const r = readLogFile(join(d, 'sys.log'), 'us-east-1', { now });
    const first = Date.UTC(2026, 5, 14, 15, 16, 1);
    expect(r.events.map((e) => e.timestamp)).toEqual([first, first, first]);
    expect(r.undated).toBe(2);
    expect(r.noTimestamps).toBe(false);
    writeFileSync(join(d, 'plain.log'), 'no stamp here\nnor here\n');
    const p = readLogFile(join(d, 'plain.log'), 'us-east-1', { now });
    expect(p.noTimestamps).toBe(true);
    expect(p.events.every((e) => e.timestamp === now)).toBe(true);
  });
});
