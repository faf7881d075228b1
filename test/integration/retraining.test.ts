/**
 * The retraining state machine run locally, end to end: the same definition the stack deploys,
 * run by aws-local-stepfunctions against the emulators; the same step code; the model container's
 * training entry point and model server as child processes. A first run trains, evaluates, deploys
 * and publishes (CURRENT flips to a profile with the model and its thresholds); a second run with a
 * deliberately worse challenger (no training at all) is refused and leaves CURRENT alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startLocalStack, type LocalStack } from '../../infra/local/local-stack';
import { runLocalRetraining, type LocalRetrainingResult } from '../../infra/local/retraining';
import { REPO_ROOT, MODEL_ENTRY } from '../../infra/local/model-server';
import { RETRAINING_STATES as S } from '../../infra/retraining/definition';
import { ObjectStore } from '../../functions/adapters/object-store';
import { ProfileStore } from '../../functions/adapters/profile-store';
import { rebuildProfile } from '../../functions/profile-builder/builder';
import { anomalyKey, thresholdsKey, trainingPrefix, windowBatchKey } from '../../functions/core/resources';
import { mulberry32, normal, poisson } from '../../functions/core/random';
import type { PartitionThresholds } from '../../functions/core/model-contract';
import type { WindowFeatures } from '../../functions/core/types';

const MINUTE = 60_000;
const DAY = 86_400_000;
const DAYS = 3;
const START = Date.UTC(2026, 10, 13);
const NOW = START + DAYS * DAY;
const PARTITIONS = [
  { partition: 'checkout#us-east-1', rate: 120, latency: 45 },
  { partition: 'search#eu-west-1', rate: 300, latency: 20 },
];
/** Windows with a stored anomaly (must be left out of the data set). */
const ANOMALOUS = [START + DAY + 600 * MINUTE, START + DAY + 601 * MINUTE, START + 2 * DAY + 90 * MINUTE];

/** Realistic minute windows: diurnal volume, Poisson counts, latency with noise, rare errors. */
function windowsOf(p: (typeof PARTITIONS)[number], seed: number): WindowFeatures[] {
  const rng = mulberry32(seed);
  const out: WindowFeatures[] = [];
  for (let t = START; t < NOW; t += MINUTE) {
    const hour = new Date(t).getUTCHours() + new Date(t).getUTCMinutes() / 60;
    const diurnal = 1 + 0.5 * Math.sin((2 * Math.PI * (hour - 6)) / 24);
    const count = Math.max(1, poisson(rng, p.rate * diurnal));
    const errors = Math.min(count, poisson(rng, count * 0.002));
    const warns = poisson(rng, count * 0.01);
    const p50 = p.latency * (1 + 0.15 * diurnal) * Math.exp(0.08 * normal(rng));
    const p95 = p50 * 2.4 * Math.exp(0.08 * normal(rng));
    const p99 = p95 * 1.6 * Math.exp(0.1 * normal(rng));
    const features = {
      count,
      bytes: count * 210 * Math.exp(0.05 * normal(rng)),
      errorCount: errors,
      errorRate: errors / count,
      warnRate: warns / count,
      status5xxRate: Math.round(errors * 0.6) / count,
      status4xxRate: poisson(rng, count * 0.02) / count,
      latencyP50: p50,
      latencyP95: p95,
      latencyP99: p99,
      bytesP95: 900 * Math.exp(0.05 * normal(rng)),
      newTemplateCount: 0,
      distinctTemplates: 8 + poisson(rng, 1),
      patternViolations: 0,
    };
    out.push({ partition: p.partition, windowStart: t, features, templates: { tOk: count - errors, ...(errors ? { tErr: errors } : {}) }, newTemplates: {}, samples: {} });
  }
  return out;
}

let stack: LocalStack;
let dataDir: string;
let profiles: ProfileStore;
let models: ObjectStore;
const lines: string[] = [];
let first: LocalRetrainingResult;

const modelReady = (): boolean => existsSync(join(REPO_ROOT, MODEL_ENTRY));

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'harbinger-retrain-test-'));
  stack = await startLocalStack({ dataDir: join(dataDir, 'emulators'), env: { POWERTOOLS_LOG_LEVEL: 'ERROR' } });
  const s3 = stack.clients.s3;
  const datasets = new ObjectStore({ client: s3, bucket: stack.names.datasetBucket });
  const anomalies = new ObjectStore({ client: s3, bucket: stack.names.anomalyBucket });
  models = new ObjectStore({ client: s3, bucket: stack.names.modelBucket });
  profiles = new ProfileStore({ client: DynamoDBDocumentClient.from(stack.clients.dynamodb), table: stack.names.table, cacheTtlMs: 0 });
  for (const [i, p] of PARTITIONS.entries()) {
    const windows = windowsOf(p, 11 + i);
    const byDay = new Map<string, WindowFeatures[]>();
    for (const w of windows) {
      const d = new Date(w.windowStart).toISOString().slice(0, 10);
      byDay.set(d, [...(byDay.get(d) ?? []), w]);
    }
    for (const [d, list] of byDay) await datasets.putJsonLines(windowBatchKey(p.partition, d, 'seed'), list);
    await rebuildProfile(p.partition, NOW, { datasets, profiles, days: DAYS + 1 });
  }
  for (const t of ANOMALOUS) await anomalies.putJson(anomalyKey(PARTITIONS[0].partition, t, `a${t}`), { partition: PARTITIONS[0].partition, windowStart: t });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(!modelReady())('local retraining (aws-local-stepfunctions, emulators, model container as child processes)', () => {
  it('trains, evaluates, deploys and publishes: CURRENT flips to a profile with the model and its thresholds', async () => {
    const visited: string[] = [];
    first = await runLocalRetraining(stack, {
      input: { now: new Date(NOW).toISOString(), days: DAYS, hyperParameters: { epochs: 3 } },
      workDir: join(dataDir, 'work'),
      onState: (e) => e.type === 'StateEntered' && visited.push(e.state),
      log: (l) => lines.push(l),
    });
    if (first.status !== 'SUCCEEDED' || !first.decision?.promote) console.error(JSON.stringify({ ...first, output: undefined }, null, 2), lines.slice(-40).join('\n'));
    expect(first.status).toBe('SUCCEEDED');
    expect(first.states).toEqual(visited);
    expect(first.states).toEqual([S.prepare, S.train, S.evaluate, S.shouldPromote, S.deploy, S.waitForEndpoint, S.checkEndpoint, S.endpointReady, S.publish, S.succeeded]);
    expect(first.jobName).toBe('harbinger-vae-20261116-000000');
    expect(first.decision).toEqual({ promote: true, reason: expect.stringMatching(/^no champion/) });
    expect(first.modelVersion).toBe(first.jobName);
    expect(lines.some((l) => l.includes('[train]') && l.includes('holdout_average_precision='))).toBe(true);

    const output = first.output as { prepared: { windows: { excludedAnomalous: number; train: number; holdoutInjected: number }; partitions: string[] } };
    expect(output.prepared.partitions).toEqual(PARTITIONS.map((p) => p.partition).sort());
    expect(output.prepared.windows.excludedAnomalous).toBe(ANOMALOUS.length);
    expect(output.prepared.windows.holdoutInjected).toBeGreaterThan(0);
    expect((await models.list(trainingPrefix(first.jobName!))).length).toBe(4);
    expect(await models.list(`artifacts/${first.jobName}/model/`)).toEqual([`artifacts/${first.jobName}/model/model.json`]);

    for (const { partition } of PARTITIONS) {
      expect(await profiles.currentVersion(partition)).toBe(2);
      const current = await profiles.getCurrent(partition);
      const key = thresholdsKey(partition, first.jobName!);
      expect(current?.model).toEqual({ version: first.jobName, endpoint: stack.names.modelEndpoint, thresholdsKey: key });
      const th = await models.getJson<PartitionThresholds>(key);
      expect(th?.partition).toBe(partition);
      expect(th?.hours).toHaveLength(24);
      expect(th?.hours[0].hourStart).toBe(NOW);
    }
  }, 300_000);

  it('refuses a worse challenger (no training): ChampionKept, CURRENT unchanged', async () => {
    expect(first?.status).toBe('SUCCEEDED');
    const before = await Promise.all(PARTITIONS.map((p) => profiles.getCurrent(p.partition)));
    const second = await runLocalRetraining(stack, {
      input: { now: new Date(NOW + MINUTE).toISOString(), days: DAYS, hyperParameters: { epochs: 0 } },
      workDir: join(dataDir, 'work'),
      log: (l) => lines.push(l),
    });
    if (second.status !== 'SUCCEEDED') console.error(JSON.stringify(second, null, 2), lines.slice(-40).join('\n'));
    expect(second.status).toBe('SUCCEEDED');
    expect(second.states).toEqual([S.prepare, S.train, S.evaluate, S.shouldPromote, S.refreshThresholds, S.championKept]);
    expect(second.decision?.promote).toBe(false);
    // The champion was served again (a new model host) and scored on the same holdout.
    expect(second.evaluation?.championVersion).toBe(first.jobName);
    expect(second.evaluation?.champion?.averagePrecision).toBeGreaterThan(second.evaluation!.challenger!.averagePrecision);
    expect(second.modelVersion).toBe(first.jobName);
    expect(second.output).toMatchObject({ promote: false, reason: second.decision!.reason });
    const after = await Promise.all(PARTITIONS.map((p) => profiles.getCurrent(p.partition)));
    expect(after).toEqual(before);
    // The kept champion's thresholds were recomputed in place for the coming 24 hours.
    for (const p of after) {
      const t = await new ObjectStore({ client: stack.clients.s3, bucket: stack.names.modelBucket }).getJson<PartitionThresholds>(p!.model!.thresholdsKey!);
      expect(t?.modelVersion).toBe(first.jobName);
      expect(t?.hours).toHaveLength(24);
      expect(t?.computedAt).toBe(Math.floor((NOW + MINUTE) / 3_600_000) * 3_600_000);
    }
  }, 300_000);

  it('fails in TrainingFailed with the job\'s output/failure as the cause', async () => {
    const r = await runLocalRetraining(stack, {
      input: { now: new Date(NOW + 2 * MINUTE).toISOString(), days: DAYS, hyperParameters: { epochs: -1 } },
      workDir: join(dataDir, 'work'),
    });
    expect(r.status).toBe('FAILED');
    expect(r.states).toEqual([S.prepare, S.train, S.trainingFailed]);
    expect(r.error).toEqual({ error: 'Harbinger.TrainingFailed', cause: expect.stringContaining('epochs') });
    expect(r.decision).toBeNull();
  }, 120_000);
});
