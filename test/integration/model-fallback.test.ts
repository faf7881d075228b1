/**
 * The window closer with the real SageMaker Runtime client when the model endpoint is down:
 * connection refused (nothing listens on the port) and a server that never answers (timeout).
 * Windows are still scored by the statistical detectors, anomalies say 'statistical-fallback' and
 * why, the summary counts fallbacks, and after 3 failures the circuit breaker stops calling.
 * Everything binds 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { startLocalStack, type LocalStack } from '../../infra/local/local-stack';
import { LocalAlertSink } from '../../infra/local/alert-sink';
import { ENV, resourceNames } from '../../functions/core/resources';
import { DEFAULT_PARTITION_RULES } from '../../functions/core/partition';
import { learnHistory, profileFromLearned } from '../../functions/core/offline';
import { generateEvents } from '../../functions/core/synth/generator';
import { toSubscriptionPayloads } from '../../functions/core/synth/payloads';
import { DEFAULT_SERVICES } from '../../functions/core/synth/services';
import { awsClients, resetAwsClients } from '../../functions/adapters/clients';
import { ProfileStore } from '../../functions/adapters/profile-store';
import { ObjectStore } from '../../functions/adapters/object-store';
import { createScorerHandler } from '../../functions/scorer/handler';
import { createWindowCloserHandler } from '../../functions/window-closer/handler';
import { CIRCUIT_OPEN_REASON, type CloseSummary } from '../../functions/window-closer/closer';
import type { Anomaly } from '../../functions/core/types';
import { kinesisRecord } from './kinesis-record';

const MINUTE = 60_000;
const names = resourceNames();
const services = [DEFAULT_SERVICES.find((s) => s.name === 'checkout')!];
const T0 = Date.UTC(2026, 10, 16, 10, 0);
const PARTITION = 'checkout#us-east-1';
const ENDPOINT = 'harbinger-vae';
const ctx = { functionName: 'test', awsRequestId: 'test', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
const quiet = new Logger({ serviceName: 'test', logLevel: 'CRITICAL' });

let stack: LocalStack;
let modelledPartitions: string[] = [];

const recordOf = (data: Buffer, seq: string, shard?: string): KinesisStreamRecord => kinesisRecord(data, seq, shard, T0);

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Points the SDK's SageMaker Runtime endpoint at `url` and builds a fresh closer handler (fresh client and breaker). */
function closerAt(url: string, timeoutMs: number): ReturnType<typeof createWindowCloserHandler> {
  process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME = url;
  process.env[ENV.modelTimeoutMs] = String(timeoutMs);
  resetAwsClients();
  const sink = new LocalAlertSink({ file: join(mkdtempSync(join(tmpdir(), 'harbinger-alerts-')), 'alerts.jsonl') });
  return createWindowCloserHandler({ logger: quiet, deps: { alerts: sink, latenessMs: 60_000 } });
}

async function tick(closer: ReturnType<typeof createWindowCloserHandler>, at: number): Promise<CloseSummary> {
  return (await closer({ time: new Date(at).toISOString() }, ctx)) as CloseSummary;
}

beforeAll(async () => {
  stack = await startLocalStack({
    dataDir: mkdtempSync(join(tmpdir(), 'harbinger-model-it-')),
    env: { [ENV.modelEndpoint]: ENDPOINT },
  });
  const learned = learnHistory(() => generateEvents({ services, start: T0 - 86_400_000, end: T0, seed: 1 }), {
    rules: DEFAULT_PARTITION_RULES,
    defaultRegion: 'us-east-1',
  });
  const profiles = new ProfileStore({ client: awsClients().dynamodb, table: names.table });
  for (const l of learned.values()) {
    await profiles.publish({ ...profileFromLearned(l, T0), model: { version: 'vae-it-1', endpoint: ENDPOINT } });
    modelledPartitions.push(l.partition);
  }
  modelledPartitions = modelledPartitions.sort();
  // Thirteen live minutes with an error burst, through the real scorer handler.
  const scorer = createScorerHandler({ logger: quiet });
  const incident = { kind: 'error_burst_latency' as const, service: 'checkout', region: 'us-east-1', start: T0 + 5 * MINUTE, durationMs: 5 * MINUTE };
  const events = [...generateEvents({ services, start: T0, end: T0 + 13 * MINUTE, seed: 4, incidents: [incident] })];
  const records = [...toSubscriptionPayloads(events)].map((p, i) => recordOf(p.data, String(10_000 + i).padStart(20, '0'), i % 2 ? 'shardId-000000000001' : 'shardId-000000000000'));
  for (let i = 0; i < records.length; i += 100) await scorer({ Records: records.slice(i, i + 100) } as KinesisStreamEvent, ctx);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('window closer when the model endpoint is down', () => {
  it('connection refused: scores statistically, says so on the anomaly, counts the fallbacks', async () => {
    // A port nothing listens on: bind, note it, close.
    const probe = createServer();
    const port = await listen(probe);
    await stopServer(probe);
    const closer = closerAt(`http://127.0.0.1:${port}`, 2_000);
    const s = await tick(closer, T0 + 14 * MINUTE);
    expect(s.windowsClosed).toBeGreaterThanOrEqual(12);
    expect(s.windowsScored).toBe(s.windowsClosed);
    expect(s.modelCalls).toBe(1); // one call per tick for all partitions' windows
    expect(s.modelScored).toBe(0);
    expect(s.modelFallbacks).toBe(s.windowsScored);
    const reasons = Object.keys(s.modelFallbackReasons);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/could not reach endpoint "harbinger-vae" \(ECONNREFUSED\)/);

    const incident = s.anomalies.filter((a) => a.partition === PARTITION && a.windowStart >= T0 + 5 * MINUTE && a.windowStart < T0 + 10 * MINUTE);
    expect(incident.length).toBeGreaterThan(0);
    for (const a of s.anomalies) {
      expect(a.scoring?.mode).toBe('statistical-fallback');
      expect(a.scoring?.reason).toBe(reasons[0]);
      expect(a.modelVersion).toBe('statistical-v1');
    }
    // As stored in S3.
    const store = new ObjectStore({ client: awsClients().s3, bucket: names.anomalyBucket });
    const keys = await store.list('anomalies/');
    expect(keys.length).toBe(s.anomalies.length);
    const stored = await store.getJson<Anomaly>(keys[0]);
    expect(stored?.scoring?.mode).toBe('statistical-fallback');
  });

  it('timeout: a server that never answers is abandoned after the timeout, and after 3 failures the breaker stops calling', async () => {
    const requests: string[] = [];
    const hanging = createServer((req: IncomingMessage) => {
      requests.push(`${req.method} ${req.url}`);
      req.resume(); // read the body, never answer
    });
    const port = await listen(hanging);
    try {
      const closer = closerAt(`http://127.0.0.1:${port}`, 300);
      const summaries: CloseSummary[] = [];
      for (let m = 15; m <= 18; m++) {
        const t0 = Date.now();
        summaries.push(await tick(closer, T0 + m * MINUTE));
        expect(Date.now() - t0).toBeLessThan(5_000);
      }
      // One silent minute per partition per tick, all in one call while the circuit is closed.
      expect(requests).toEqual(Array(3).fill(`POST /endpoints/${ENDPOINT}/invocations`));
      for (const s of summaries) {
        expect(s.windowsScored).toBe(modelledPartitions.length);
        expect(s.modelFallbacks).toBe(modelledPartitions.length);
        expect(s.modelScored).toBe(0);
      }
      for (const s of summaries.slice(0, 3)) {
        expect(s.modelCalls).toBe(1);
        expect(Object.keys(s.modelFallbackReasons)[0]).toMatch(/timed out after 300 ms/);
      }
      const open = summaries[3];
      expect(open.modelCalls).toBe(0);
      expect(open.modelFallbackReasons).toEqual({ [CIRCUIT_OPEN_REASON]: modelledPartitions.length });
      for (const a of open.anomalies) expect(a.scoring).toEqual({ mode: 'statistical-fallback', reason: CIRCUIT_OPEN_REASON });
    } finally {
      await stopServer(hanging);
    }
  });
});
