/**
 * Scenario runs generated from the partition's CURRENT profile, on the emulators through the local
 * scenario state machine (the definition the stack deploys): the manifest says which source each
 * partition used; the lines re-template to the profile's ids; the report holds the realism check
 * against the partition's real windows a week earlier. With a model host serving the VAE (the model
 * container's server as a child process, reached through the real SageMaker Runtime client) the
 * window features come from its decoder; with the host gone the run still succeeds on the seasonal
 * statistics and says why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { startLocalStack, type LocalStack } from '../../infra/local/local-stack';
import { LocalAlertSink } from '../../infra/local/alert-sink';
import { runLocalScenarioRun } from '../../infra/local/scenario-runner';
import { MODEL_ENTRY, REPO_ROOT, startModelServer, type ModelServer } from '../../infra/local/model-server';
import { SCENARIO_STATES as S } from '../../infra/scenario/definition';
import { resetAwsClients } from '../../functions/adapters/clients';
import { SageMakerModelClient } from '../../functions/adapters/model-client';
import { ObjectStore } from '../../functions/adapters/object-store';
import { ProfileStore } from '../../functions/adapters/profile-store';
import { scenarioRunKeys, windowBatchKey } from '../../functions/core/resources';
import { partitionOf } from '../../functions/core/partition';
import { contextFromProfile, processEvent } from '../../functions/core/pipeline';
import { formatRealismSection } from '../../functions/core/synth/realism-section';
import { synthWindows } from '../../functions/core/synth/windows';
import type { LogEvent, Profile, WindowFeatures } from '../../functions/core/types';
import type { ScenarioRun } from '../../functions/scenario/types';
import type { StoredReport } from '../../functions/scenario/store';
import { historyFixture, RULES, START as FIXTURE_START } from '../unit/synth-profile-fixtures';

const MIN = 60_000;
const PARTITION = 'checkout#eu-west-1';
/** Monday 2026-11-16 08:00:20Z on the simulated clock (the fixture's history is a Monday 08:00-10:00, so the profile has this hour's slot). */
const START = Date.UTC(2026, 10, 16, 8, 0, 20);
/** The fixture's windows moved to the same hours one week before the run: the real windows the realism check finds. */
const SHIFT = Date.UTC(2026, 10, 9, 8) - FIXTURE_START;
const INPUT = { scenario: 'error-burst', partitions: [PARTITION], startInMinutes: 3, durationMinutes: 4, quietMinutes: 10, magnitude: 0.3, seed: 7 };
const MODEL_VERSION = 'harbinger-vae-itest';

let stack: LocalStack;
let dataDir: string;
let profiles: ProfileStore;
let runs: ObjectStore;
let profile: Profile;
let server: ModelServer | undefined;

const modelReady = (): boolean => existsSync(join(REPO_ROOT, MODEL_ENTRY));

/** Trains a tiny VAE for the partition with the container's own training entry point (child process). */
function trainTinyModel(root: string): Promise<void> {
  mkdirSync(join(root, 'input', 'data', 'train'), { recursive: true });
  mkdirSync(join(root, 'input', 'config'), { recursive: true });
  const windows = synthWindows({ partitions: [PARTITION], days: 4, seed: 3, start: Date.UTC(2026, 10, 2) });
  writeFileSync(join(root, 'input', 'data', 'train', 'w.jsonl'), windows.map((w) => JSON.stringify(w)).join('\n'));
  writeFileSync(join(root, 'input', 'config', 'hyperparameters.json'), JSON.stringify({ epochs: '2', minSteps: '100', seed: '5' }));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, MODEL_ENTRY), 'train'], { env: { ...process.env, HARBINGER_ML_ROOT: root, TRAINING_JOB_NAME: MODEL_VERSION } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`training failed (${code}): ${out.slice(-2000)}`))));
  });
}

async function run(executionName: string, input: Record<string, unknown> = {}): Promise<{ run: ScenarioRun; manifest: ScenarioRun; events: LogEvent[] }> {
  const sink = new LocalAlertSink({ file: join(dataDir, `${executionName}.jsonl`) });
  const r = await runLocalScenarioRun(stack, { input: { ...INPUT, ...input }, alerts: sink, startTime: START, executionName });
  if (r.status !== 'SUCCEEDED') console.error(r.error);
  expect(r.status).toBe('SUCCEEDED');
  const keys = scenarioRunKeys(r.run!.runId);
  return { run: r.run!, manifest: (await runs.getJson<ScenarioRun>(keys.manifest))!, events: (await runs.getJsonLines<LogEvent>(keys.events))! };
}

/** Share of the lines that resolve to one of the profile's template ids, through the scorer's path. */
function retemplatedShare(events: LogEvent[], p: Profile): number {
  const ctx = contextFromProfile(p);
  const ids = new Set(p.templates.map((t) => t.id));
  let known = 0;
  for (const e of events) {
    expect(partitionOf(e.logGroup, RULES, 'us-east-1').key).toBe(PARTITION);
    if (ids.has(processEvent(e, PARTITION, ctx).match.templateId)) known++;
  }
  return known / events.length;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'harbinger-scenario-sources-test-'));
  stack = await startLocalStack({ dataDir: join(dataDir, 'emulators'), env: { POWERTOOLS_LOG_LEVEL: 'ERROR' } });
  profiles = new ProfileStore({ client: DynamoDBDocumentClient.from(stack.clients.dynamodb), table: stack.names.table, cacheTtlMs: 0 });
  runs = new ObjectStore({ client: stack.clients.s3, bucket: stack.names.syntheticBucket });
  const fixture = historyFixture(['checkout'], 2);
  profile = fixture.profiles.get(PARTITION)!;
  expect(await profiles.publish(profile)).toBe(true);
  const datasets = new ObjectStore({ client: stack.clients.s3, bucket: stack.names.datasetBucket });
  const real: WindowFeatures[] = fixture.learned.get(PARTITION)!.windows.map((w) => ({ ...w, windowStart: w.windowStart + SHIFT }));
  await datasets.putJsonLines(windowBatchKey(PARTITION, new Date(real[0].windowStart).toISOString().slice(0, 10), 'history'), real);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await stack?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('scenario runs from the CURRENT profile (local state machine, emulators)', () => {
  it('auto: generated from the profile (manifest says so), lines re-template to its ids, the report compares with the real windows a week earlier', async () => {
    // 08:01..08:38 replayed: 37 minutes, of which the burst (4) and its grace (6) are not compared.
    const { run: r, manifest, events } = await run('itest-profile', { replay: true, quietMinutes: 30 });
    expect(manifest.generation).toEqual([
      { partition: PARTITION, source: 'profile', windows: 'stats', profileVersion: profile.version, modelVersion: null, reason: `CURRENT profile v${profile.version}; window features from its seasonal statistics` },
    ]);
    expect(r.generation).toEqual(manifest.generation);
    expect(events.length).toBeGreaterThan(200);
    expect(retemplatedShare(events, profile)).toBeGreaterThanOrEqual(0.95);
    const report = (await runs.getJson<StoredReport>(scenarioRunKeys(r.runId).report))!;
    expect(report.generation).toEqual(manifest.generation);
    const p = report.realism!.partitions[0];
    console.log(formatRealismSection(report.realism!));
    expect(p).toMatchObject({ partition: PARTITION, source: 'profile', windows: 'stats', basis: 'hour-of-week', note: null });
    expect(p.realWindows).toBe(37);
    expect(p.syntheticWindows).toBe(27);
    expect(p.report!.templates.js).toBeLessThan(0.15);
  }, 180_000);

  it('source services: the service generator, whatever the profile', async () => {
    const { manifest } = await run('itest-services', { replay: false, source: 'services' });
    expect(manifest.generation).toEqual([expect.objectContaining({ partition: PARTITION, source: 'services', windows: null, reason: 'source "services" asked for' })]);
  }, 60_000);

  describe.skipIf(!modelReady())('with a model host serving the VAE', () => {
    beforeAll(async () => {
      const root = join(dataDir, 'ml');
      await trainTinyModel(root);
      server = await startModelServer({ mlRoot: root });
      process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME = server.url;
      resetAwsClients();
      expect(await profiles.publish({ ...profile, version: profile.version + 1, model: { version: MODEL_VERSION, endpoint: stack.names.modelEndpoint } })).toBe(true);
    }, 180_000);

    it('the window features come from the VAE decoder through the endpoint (prefetched, no fallback hour)', async () => {
      // Default windows are the seasonal statistics even with a model; "vae" asks for the decoder.
      const byDefault = await run('itest-vae-default', { replay: false });
      expect(byDefault.manifest.generation[0]).toMatchObject({ source: 'profile', windows: 'stats' });
      expect(byDefault.manifest.generation[0].reason).toContain('windows "vae" samples its model instead');
      const { manifest, events } = await run('itest-vae', { replay: false, windows: 'vae' });
      expect(manifest.generation).toEqual([
        expect.objectContaining({ partition: PARTITION, source: 'profile', windows: 'vae', profileVersion: profile.version + 1, modelVersion: MODEL_VERSION, sampling: expect.objectContaining({ hours: 2, fallbackHours: 0, calls: 1 }) }),
      ]);
      expect(manifest.generation[0].reason).toMatch(/window features from the VAE decoder of harbinger-vae-itest \(endpoint harbinger-vae\)/);
      expect(retemplatedShare(events, profile)).toBeGreaterThanOrEqual(0.95);

      // Sampling latency through the real client: a day of hours in one call.
      const client = new SageMakerModelClient({ client: new SageMakerRuntimeClient({ endpoint: server!.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }), timeoutMs: 30_000 });
      const hourStarts = Array.from({ length: 24 }, (_, i) => Date.UTC(2026, 10, 16) + i * 3_600_000);
      const t0 = performance.now();
      const res = await client.sample({ partition: PARTITION, hourStarts, n: 60, seed: 7 }, { endpointName: stack.names.modelEndpoint });
      const ms = performance.now() - t0;
      console.log(`VAE sampling through the endpoint: 24 hours x 60 windows in ${ms.toFixed(0)} ms; the run's 2 hours: ${manifest.generation[0].sampling!.ms} ms`);
      expect(res.hours).toHaveLength(24);
      expect(res.hours.every((h) => h.windows.length === 60)).toBe(true);
    }, 120_000);

    it('the endpoint gone: the run still succeeds, on the seasonal statistics, and the manifest says why', async () => {
      await server!.stop();
      const { manifest, events } = await run('itest-vae-down', { replay: false, windows: 'vae' });
      expect(manifest.generation[0]).toMatchObject({ source: 'profile', windows: 'stats', modelVersion: null });
      expect(manifest.generation[0].reason).toMatch(/VAE sampling through endpoint "harbinger-vae" failed \(could not reach endpoint "harbinger-vae" \(ECONNREFUSED\)/);
      expect(events.length).toBeGreaterThan(100);
    }, 120_000);
  });
});
