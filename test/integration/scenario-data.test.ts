/**
 * The `scenarioData` flag against the emulators: scenario runs stored in the synthetic bucket (the
 * one writer, ScenarioRunStore: manifest.json, labels.json), window features in the dataset bucket;
 * retraining's PrepareDataset and the profile builder leave the replayed runs' stretches out by
 * default, and with `include` keep the clean stretches and put the labelled incident windows in the
 * holdout (label 1) instead of the training channel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { startLocalStack, type LocalStack } from '../../infra/local/local-stack';
import { ObjectStore } from '../../functions/adapters/object-store';
import { ProfileStore } from '../../functions/adapters/profile-store';
import { prepareDataset, RetrainingRequestError } from '../../functions/retraining/prepare';
import { createProfileBuilderHandler } from '../../functions/profile-builder/handler';
import { readScenarioStretches } from '../../functions/scenario/catalog';
import { ScenarioRunStore } from '../../functions/scenario/store';
import { trainingPrefix, windowBatchKey } from '../../functions/core/resources';
import { mulberry32, poisson } from '../../functions/core/random';
import type { HoldoutWindow } from '../../functions/core/holdout';
import type { ModelWindow } from '../../functions/core/model-contract';
import type { IncidentLabel } from '../../functions/core/synth/incidents';
import { FEATURE_NAMES, type FeatureName, type WindowFeatures } from '../../functions/core/types';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const DAYS = 3;
const NOW = Date.UTC(2026, 10, 16);
const START = NOW - DAYS * DAY;
const CHECKOUT = 'checkout#us-east-1';
const SEARCH = 'search#eu-west-1';

/** A replayed run in the holdout period (the newest 15%) with a 10-minute error burst in checkout. */
const RUN_A = { runId: 'error-burst-a', start: NOW - 3 * HOUR, end: NOW - 2 * HOUR, partitions: [CHECKOUT] };
const LABELS_A: IncidentLabel[] = [{ partition: CHECKOUT, start: NOW - 2.5 * HOUR, end: NOW - 2.5 * HOUR + 10 * MIN, kind: 'error_burst' }];
/** A replayed clean run of search in the training period. */
const RUN_B = { runId: 'quiet-b', start: NOW - 2 * DAY, end: NOW - 2 * DAY + HOUR, partitions: [SEARCH] };
/** Generated only (never replayed): its stretch is real traffic. */
const RUN_C = { runId: 'not-replayed-c', start: NOW - DAY, end: NOW - DAY + HOUR, partitions: [CHECKOUT, SEARCH] };

let stack: LocalStack;
let dataDir: string;
let datasets: ObjectStore;
let runs: ObjectStore;
let models: ObjectStore;
let anomalies: ObjectStore;

function windowsOf(partition: string, rate: number, seed: number): WindowFeatures[] {
  const rng = mulberry32(seed);
  const out: WindowFeatures[] = [];
  for (let t = START; t < NOW; t += MIN) {
    const f = Object.fromEntries(FEATURE_NAMES.map((n) => [n, 0])) as Record<FeatureName, number>;
    f.count = Math.max(1, poisson(rng, rate));
    f.bytes = f.count * 200;
    f.latencyP50 = 40;
    f.latencyP95 = 90;
    f.latencyP99 = 120;
    f.distinctTemplates = 4;
    // The incident windows really look like one (errors), as the replayed traffic did.
    if (LABELS_A.some((l) => partition === l.partition && t >= l.start && t < l.end)) {
      f.errorCount = Math.round(f.count * 0.3);
      f.errorRate = f.errorCount / f.count;
    }
    out.push({ partition, windowStart: t, features: f, templates: { a: f.count }, newTemplates: {}, samples: {} });
  }
  return out;
}

async function storeRun(r: { runId: string; start: number; end: number; partitions: string[] }, replay: boolean, labels: IncidentLabel[]): Promise<void> {
  const store = new ScenarioRunStore(runs, r.runId);
  await store.writeGenerated({ spec: { name: r.runId, incidents: [] }, labels, events: [] });
  await store.writeManifest({ runId: r.runId, name: r.runId, replay, start: new Date(r.start).toISOString(), end: new Date(r.end).toISOString(), partitions: r.partitions, generation: [] });
}

const inStretch = (w: { partition: string; windowStart: number }, r: { start: number; end: number; partitions: string[] }): boolean =>
  r.partitions.includes(w.partition) && w.windowStart >= r.start && w.windowStart < r.end;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'harbinger-scenario-data-test-'));
  stack = await startLocalStack({ dataDir: join(dataDir, 'emulators'), env: { POWERTOOLS_LOG_LEVEL: 'ERROR' } });
  const store = (bucket: string): ObjectStore => new ObjectStore({ client: stack.clients.s3, bucket });
  datasets = store(stack.names.datasetBucket);
  runs = store(stack.names.syntheticBucket);
  models = store(stack.names.modelBucket);
  anomalies = store(stack.names.anomalyBucket);
  for (const [i, [p, rate]] of ([[CHECKOUT, 60], [SEARCH, 120]] as const).entries()) {
    const byDay = new Map<string, WindowFeatures[]>();
    for (const w of windowsOf(p, rate, 5 + i)) {
      const d = new Date(w.windowStart).toISOString().slice(0, 10);
      byDay.set(d, [...(byDay.get(d) ?? []), w]);
    }
    for (const [d, list] of byDay) await datasets.putJsonLines(windowBatchKey(p, d, 'seed'), list);
  }
  await storeRun(RUN_A, true, LABELS_A);
  await storeRun(RUN_B, true, []);
  await storeRun(RUN_C, false, []);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const channel = async <T>(jobName: string, name: 'train' | 'holdout', partition: string): Promise<T[]> =>
  (await models.getJsonLines<T>(`${trainingPrefix(jobName)}${name}/part-${encodeURIComponent(partition)}.jsonl.gz`)) ?? [];

describe('scenarioData against the emulators', () => {
  it('the run catalogue lists the replayed runs of the period from their manifests (the not-replayed one is real traffic)', async () => {
    const stretches = await readScenarioStretches(runs, { start: START, end: NOW });
    expect(stretches.map((s) => [s.runId, s.start, s.end, s.partitions, s.labels])).toEqual([
      [RUN_B.runId, RUN_B.start, RUN_B.end, RUN_B.partitions, []],
      [RUN_A.runId, RUN_A.start, RUN_A.end, RUN_A.partitions, LABELS_A],
    ]);
    expect(await readScenarioStretches(runs, { start: NOW, end: NOW + DAY })).toEqual([]);
  });

  it('PrepareDataset, exclude (default): the replayed stretches are in neither channel, and counted', async () => {
    const out = await prepareDataset({ request: { now: NOW, days: DAYS } }, { datasets, anomalies, models, runs, jobPrefix: 'itest-exclude' });
    expect(out.scenarioData).toEqual({ mode: 'exclude', runs: 2, excluded: 120, included: 0, incidents: 0, holdoutAnomalies: 0 });
    expect(out.windows.found).toBe(2 * DAYS * 1440);
    expect(out.windows.train + out.windows.holdoutNormal).toBe(2 * DAYS * 1440 - 120);
    for (const p of [CHECKOUT, SEARCH]) {
      const rows = [...(await channel<ModelWindow>(out.jobName, 'train', p)), ...(await channel<HoldoutWindow>(out.jobName, 'holdout', p)).filter((w) => w.label === 0)];
      expect(rows.filter((w) => inStretch(w, RUN_A) || inStretch(w, RUN_B))).toEqual([]);
      expect(rows.filter((w) => inStretch(w, RUN_C)).length).toBe(RUN_C.partitions.includes(p) ? 60 : 0);
    }
  }, 120_000);

  it('PrepareDataset, include: clean stretches train, incident windows go to the holdout as real labelled anomalies', async () => {
    const out = await prepareDataset({ request: { now: NOW, days: DAYS, scenarioData: 'include' } }, { datasets, anomalies, models, runs, jobPrefix: 'itest-include' });
    // Run A: 60 minutes = 10 incident + 6 grace (left out) + 44 clean; run B: 60 clean.
    expect(out.scenarioData).toEqual({ mode: 'include', runs: 2, excluded: 6, included: 104, incidents: 10, holdoutAnomalies: 10 });
    const train = await channel<ModelWindow>(out.jobName, 'train', CHECKOUT);
    const holdout = await channel<HoldoutWindow>(out.jobName, 'holdout', CHECKOUT);
    const incident = (w: ModelWindow): boolean => LABELS_A.some((l) => w.partition === l.partition && w.windowStart >= l.start && w.windowStart < l.end);
    expect(train.filter(incident)).toEqual([]);
    const real = holdout.filter((w) => w.scenario);
    expect(real).toHaveLength(10);
    expect(real.every((w) => w.label === 1 && incident(w) && w.scenario!.runId === RUN_A.runId && w.scenario!.kind === 'error_burst' && w.features.errorRate > 0.2)).toBe(true);
    expect(holdout.filter((w) => w.label === 0 && incident(w))).toEqual([]);
    // Injected anomalies are counted apart from the real ones.
    const searchHoldout = await channel<HoldoutWindow>(out.jobName, 'holdout', SEARCH);
    expect(out.windows.holdoutInjected).toBe([...holdout, ...searchHoldout].filter((w) => w.label === 1 && !w.scenario).length);
    // The clean part of run A is normal holdout data; run B's stretch is training data.
    expect(holdout.filter((w) => w.label === 0 && inStretch(w, RUN_A)).length).toBe(44);
    expect((await channel<ModelWindow>(out.jobName, 'train', SEARCH)).filter((w) => inStretch(w, RUN_B))).toHaveLength(60);
  }, 120_000);

  it('PrepareDataset refuses an unknown scenarioData value', async () => {
    await expect(prepareDataset({ request: { now: NOW, days: DAYS, scenarioData: 'all' as never } }, { datasets, anomalies, models, runs })).rejects.toThrow(RetrainingRequestError);
  });

  it('the profile builder: exclude leaves the stretches out of the profiles, include keeps the clean ones; the summary counts them', async () => {
    const profiles = new ProfileStore({ client: DynamoDBDocumentClient.from(stack.clients.dynamodb), table: stack.names.table, cacheTtlMs: 0 });
    const handler = createProfileBuilderHandler({ deps: { datasets, profiles, runs }, logger: new Logger({ serviceName: 'itest', logLevel: 'ERROR' }) });
    const context = { functionName: 'harbinger-profile-builder', awsRequestId: 'itest', getRemainingTimeInMillis: () => 900_000 } as unknown as Context;
    const excluded = await handler({ time: new Date(NOW).toISOString(), days: DAYS }, context);
    expect(excluded.failed).toEqual([]);
    expect(excluded).toMatchObject({ scenarioData: 'exclude', scenarioRuns: 2, scenarioWindows: { excluded: 120, included: 0, incidents: 0 } });
    const windows = (r: typeof excluded, p: string): number => r.built.find((b) => b.partition === p)!.windows;
    expect(windows(excluded, CHECKOUT)).toBe(DAYS * 1440 - 60);
    expect(windows(excluded, SEARCH)).toBe(DAYS * 1440 - 60);
    // The stretch's minutes are not filled in as silence.
    expect((await profiles.getCurrent(CHECKOUT))!.trainingWindows).toBe(DAYS * 1440 - 60);

    const included = await handler({ time: new Date(NOW).toISOString(), days: DAYS, scenarioData: 'include' }, context);
    expect(included).toMatchObject({ scenarioData: 'include', scenarioRuns: 2, scenarioWindows: { excluded: 6, included: 104, incidents: 10 } });
    expect(windows(included, CHECKOUT)).toBe(DAYS * 1440 - 16);
    expect(windows(included, SEARCH)).toBe(DAYS * 1440);
    expect((await profiles.getCurrent(CHECKOUT))!.trainingWindows).toBe(DAYS * 1440 - 16);
  }, 120_000);
});
