/**
 * Scorer throughput and memory: events/s of the real scorer handler (against the local emulators)
 * on realistic subscription payloads, beside the bare decode rate (gunzip + JSON.parse of the same
 * payloads) measured in the same run; and peak RSS of one 10,000-record batch in a fresh process.
 */
import { gunzipSync } from 'node:zlib';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { generateEvents } from '../functions/core/synth/generator';
import { toSubscriptionPayloads } from '../functions/core/synth/payloads';
import { startEmulators } from '../infra/local/emulators';
import { localClients } from '../infra/local/clients';
import { provision } from '../infra/local/provision';
import { ENV, resourceNames } from '../functions/core/resources';
import { resetAwsClients } from '../functions/adapters/clients';
import { createScorerHandler } from '../functions/scorer/handler';

const T0 = Date.UTC(2026, 10, 16, 9, 0);
const ctx = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 900_000 } as unknown as Context;

/** Kinesis records carrying `n` realistic subscription payloads (all 8 partitions, ~25 events each). */
export function benchRecords(n: number, seed = 5): KinesisStreamRecord[] {
  const out: KinesisStreamRecord[] = [];
  let minute = 0;
  while (out.length < n) {
    const start = T0 + minute * 10 * 60_000;
    const events = generateEvents({ start, end: start + 10 * 60_000, seed: seed + minute, scale: 4 });
    for (const p of toSubscriptionPayloads(events, { maxEventsPerPayload: 25 })) {
      const seq = String(out.length + 1).padStart(56, '0');
      out.push({
        kinesis: { kinesisSchemaVersion: '1.0', partitionKey: p.partitionKey, sequenceNumber: seq, data: p.data.toString('base64'), approximateArrivalTimestamp: T0 / 1000 },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-00000000000${out.length % 2}:${seq}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::123456789012:role/bench',
        awsRegion: 'us-east-1',
        eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/harbinger-logs',
      });
      if (out.length >= n) break;
    }
    minute++;
  }
  return out;
}

/** Results of {@link runScorerBench}. */
export interface ScorerBenchResult {
  records: number;
  events: number;
  decodeEventsPerSec: number;
  scorerEventsPerSec: number;
  /** scorer / bare decode, same run. */
  ratio: number;
  peakRssMbFor10kBatch: number | null;
  baselineRssMb: number | null;
}

function decodeOnly(records: KinesisStreamRecord[]): number {
  let events = 0;
  for (const r of records) {
    const doc = JSON.parse(gunzipSync(Buffer.from(r.kinesis.data, 'base64')).toString('utf8')) as { logEvents: unknown[] };
    events += doc.logEvents.length;
  }
  return events;
}

/** Runs the throughput part in this process and the RSS part in a child process. */
export async function runScorerBench(options: { records?: number; batch?: number; log?: (l: string) => void } = {}): Promise<ScorerBenchResult> {
  const log = options.log ?? (() => {});
  const n = options.records ?? 4000;
  const batch = options.batch ?? 500;
  const records = benchRecords(n);
  // Warm up and time the bare decode (best of 3).
  let events = 0;
  let decodeMs = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    events = decodeOnly(records);
    decodeMs = Math.min(decodeMs, performance.now() - t);
  }
  log(`  bare decode: ${events.toLocaleString('en-US')} events in ${decodeMs.toFixed(0)} ms`);

  const emu = await startEmulators({ dataDir: mkdtempSync(join(tmpdir(), 'harbinger-bench-')) });
  const names = resourceNames();
  const saved = { ...process.env };
  try {
    Object.assign(process.env, emu.env, {
      [ENV.table]: names.table,
      [ENV.anomalyBucket]: names.anomalyBucket,
      [ENV.datasetBucket]: names.datasetBucket,
      [ENV.eventBus]: names.eventBus,
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    resetAwsClients();
    await provision(localClients(emu.endpoints), names, { shards: 2 });
    const scorer = createScorerHandler({ logger: new Logger({ serviceName: 'bench', logLevel: 'ERROR' }) });
    // Warm-up batch (JIT, connections), not timed; its sequence numbers are re-used so it's a duplicate later.
    await scorer({ Records: records.slice(0, batch) } as KinesisStreamEvent, ctx);
    const fresh = benchRecords(n, 99);
    const t = performance.now();
    for (let i = 0; i < fresh.length; i += batch) await scorer({ Records: fresh.slice(i, i + batch) } as KinesisStreamEvent, ctx);
    const scorerMs = performance.now() - t;
    const freshEvents = decodeOnly(fresh);
    const decodeRate = events / (decodeMs / 1000);
    const scorerRate = freshEvents / (scorerMs / 1000);
    log(`  scorer handler: ${freshEvents.toLocaleString('en-US')} events in ${scorerMs.toFixed(0)} ms (batches of ${batch}, DynamoDB emulator)`);
    const rss = measureRss(log);
    return {
      records: n,
      events: freshEvents,
      decodeEventsPerSec: Math.round(decodeRate),
      scorerEventsPerSec: Math.round(scorerRate),
      ratio: Number((scorerRate / decodeRate).toFixed(3)),
      peakRssMbFor10kBatch: rss?.peak ?? null,
      baselineRssMb: rss?.baseline ?? null,
    };
  } finally {
    await emu.stop();
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    resetAwsClients();
  }
}

function measureRss(log: (l: string) => void): { peak: number; baseline: number } | null {
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./rss-child.ts', import.meta.url))], {
    encoding: 'utf8',
    env: process.env,
    timeout: 300_000,
  });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  try {
    const r = JSON.parse(line) as { peak: number; baseline: number };
    log(`  one 10,000-record batch: peak RSS ${r.peak} MB (process baseline after imports ${r.baseline} MB)`);
    return r;
  } catch {
    log(`  RSS measurement failed: ${child.stderr.slice(-500)}`);
    return null;
  }
}
