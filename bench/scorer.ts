/**
 * Scorer throughput and memory: events/s of the real scorer handler (against the local emulators)
 * on realistic subscription payloads, beside the bare decode rate (gunzip + JSON.parse of the same
 * payloads) measured in the same run; and peak RSS of one 10,000-record batch in a fresh process.
 */
import { gunzipSync } from 'node:zlib';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { generateEvents } from '../functions/core/synth/generator';
import { toSubscriptionPayloads } from '../functions/core/synth/payloads';
import { startLocalStack } from '../infra/local/local-stack';
import { awsClients } from '../functions/adapters/clients';
import { ProfileStore } from '../functions/adapters/profile-store';
import { learnHistory, profileFromLearned } from '../functions/core/offline';
import type { Profile } from '../functions/core/types';
import { createScorerHandler } from '../functions/scorer/handler';
import { decodeRecord } from '../functions/core/decode';
import { partitionOf, DEFAULT_PARTITION_RULES } from '../functions/core/partition';
import { aggregate, contextFromProfile, processEvent, type ProcessedEvent } from '../functions/core/pipeline';
import { partialToAttributes } from '../functions/core/features';

const T0 = Date.UTC(2026, 10, 16, 9, 0);
const ctx = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 900_000 } as unknown as Context;

/** Kinesis records carrying `n` realistic subscription payloads (all 8 partitions; per log stream, 10 s slices, up to 100 events). */
export function benchRecords(n: number, seed = 5): KinesisStreamRecord[] {
  const out: KinesisStreamRecord[] = [];
  let minute = 0;
  while (out.length < n) {
    const start = T0 + minute * 10 * 60_000;
    const events = generateEvents({ start, end: start + 10 * 60_000, seed: seed + minute, scale: 4 });
    for (const p of toSubscriptionPayloads(events, { maxEventsPerPayload: 100, sliceMs: 10_000 })) {
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
  /** The scorer's CPU path alone: decode, partition, parse, template, aggregate, flatten (no I/O). */
  computeEventsPerSec: number;
  /** The whole handler, including its DynamoDB writes to the local emulator. */
  scorerEventsPerSec: number;
  /** compute / bare decode, same run. */
  computeRatio: number;
  /** handler / bare decode, same run. */
  ratio: number;
  peakRssMbFor10kBatch: number | null;
  baselineRssMb: number | null;
}

/** The scorer's compute path with the same core functions the handler calls, and no I/O. */
function computeOnly(records: KinesisStreamRecord[], profiles: Map<string, Profile>): number {
  let events = 0;
  const contexts = new Map<string, ReturnType<typeof contextFromProfile>>();
  for (let i = 0; i < records.length; i += 500) {
    const processed: ProcessedEvent[] = [];
    for (const r of records.slice(i, i + 500)) {
      const d = decodeRecord(r.kinesis.data, { arrivalTimestamp: T0, sequenceNumber: r.kinesis.sequenceNumber });
      if (d.kind !== 'data') continue;
      for (const e of d.events) {
        const partition = partitionOf(e.logGroup, DEFAULT_PARTITION_RULES, 'us-east-1').key;
        let ctx = contexts.get(partition);
        if (!ctx) contexts.set(partition, (ctx = contextFromProfile(profiles.get(partition) ?? null)));
        processed.push(processEvent(e, partition, ctx));
      }
    }
    for (const p of aggregate(processed).values()) partialToAttributes(p);
    events += processed.length;
  }
  return events;
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
  // Profiles learned from a day of history, as the scorer would have them (dictionary hits, patterns).
  const learned = learnHistory(() => generateEvents({ start: T0 - 86_400_000, end: T0, seed: 3, scale: 4 }), {
    rules: DEFAULT_PARTITION_RULES,
    defaultRegion: 'us-east-1',
  });
  const profiles = new Map([...learned.values()].map((l) => [l.partition, profileFromLearned(l, T0)]));
  // Warm up and time the bare decode (best of 3).
  let events = 0;
  let decodeMs = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    events = decodeOnly(records);
    decodeMs = Math.min(decodeMs, performance.now() - t);
  }
  log(`  bare decode: ${events.toLocaleString('en-US')} events in ${decodeMs.toFixed(0)} ms (${records.length} records)`);
  let computeMs = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    computeOnly(records, profiles);
    computeMs = Math.min(computeMs, performance.now() - t);
  }
  log(`  scorer compute path (no I/O): ${events.toLocaleString('en-US')} events in ${computeMs.toFixed(0)} ms`);

  const stack = await startLocalStack({ dataDir: mkdtempSync(join(tmpdir(), 'harbinger-bench-')) });
  const names = stack.names;
  try {
    const store = new ProfileStore({ client: awsClients().dynamodb, table: names.table });
    for (const p of profiles.values()) await store.publish(p);
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
    const rss = await measureRss(log);
    return {
      records: n,
      events: freshEvents,
      decodeEventsPerSec: Math.round(decodeRate),
      computeEventsPerSec: Math.round(events / (computeMs / 1000)),
      scorerEventsPerSec: Math.round(scorerRate),
      computeRatio: Number((events / (computeMs / 1000) / decodeRate).toFixed(3)),
      ratio: Number((scorerRate / decodeRate).toFixed(3)),
      peakRssMbFor10kBatch: rss?.peak ?? null,
      baselineRssMb: rss?.baseline ?? null,
    };
  } finally {
    await stack.stop();
  }
}

/**
 * Runs bench/rss-child.ts in a fresh process (async: the emulators live in this process and must keep
 * answering while the child runs).
 */
async function measureRss(log: (l: string) => void): Promise<{ peak: number; baseline: number } | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./rss-child.ts', import.meta.url))], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  try {
    const r = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { peak: number; baseline: number };
    log(`  one 10,000-record batch: peak RSS ${r.peak} MB (process baseline after imports and record generation ${r.baseline} MB)`);
    return r;
  } catch {
    log(`  RSS measurement failed (exit ${code}): ${stderr.slice(-800)}`);
    return null;
  }
}
