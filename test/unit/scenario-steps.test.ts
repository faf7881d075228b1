/**
 * The scenario-run steps against in-memory fakes of the bucket, the stream and the bus: generate
 * writes the run, replay puts every record once and in real time, a repeated or resumed step never
 * puts a request twice, rejected records are retried and what still fails is counted, the report
 * gives every anomaly its verdict, and the direct invoke refuses what it cannot finish.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { AlertPublisher } from '../../functions/adapters/alert-publisher';
import type { PutResult, RecordStream, StreamRecord } from '../../functions/adapters/record-stream';
import { anomalyKey, EVENTS, predictionKey, scenarioRunKeys, windowBatchKey } from '../../functions/core/resources';
import { eventWindows } from '../../functions/core/offline';
import { DEFAULT_PARTITION_RULES } from '../../functions/core/partition';
import { contextFromProfile } from '../../functions/core/pipeline';
import { KINESIS_LIMITS, shardOfKey } from '../../functions/core/synth/replay-plan';
import { ScenarioRunInputError } from '../../functions/core/synth/scenario-run';
import { runScenarioDirect } from '../../functions/scenario/direct';
import { generateScenarioRun, type GenerateDeps } from '../../functions/scenario/generate';
import { publishScenarioRun } from '../../functions/scenario/publish';
import { putWithRetry, replayMinute, type ReplayDeps } from '../../functions/scenario/replay';
import { reportScenarioRun } from '../../functions/scenario/report';
import type { RunObjects, StoredReport } from '../../functions/scenario/store';
import type { LogEvent } from '../../functions/core/types';
import type { ScenarioRun } from '../../functions/scenario/types';
import type { SubscriptionMessage } from '../../functions/core/subscription';

const MIN = 60_000;
const NOW = Date.UTC(2026, 10, 16, 15, 0, 20);
const ANCHOR = Date.UTC(2026, 10, 16, 15, 1);

/** The bucket, in memory. */
class MemoryObjects implements RunObjects {
  readonly bucket = 'mem-synthetic';
  readonly data = new Map<string, string>();
  async putJson(key: string, value: unknown): Promise<void> {
    this.data.set(key, JSON.stringify(value));
  }
  async putJsonLines(key: string, values: unknown[]): Promise<void> {
    this.data.set(key, values.map((v) => JSON.stringify(v)).join('\n'));
  }
  async getJson<T>(key: string): Promise<T | null> {
    const text = this.data.get(key);
    return text === undefined ? null : (JSON.parse(text) as T);
  }
  async getJsonLines<T>(key: string): Promise<T[] | null> {
    const text = this.data.get(key);
    return text === undefined ? null : text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
  }
  async list(prefix: string): Promise<string[]> {
    return [...this.data.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}

/** A simulated clock: sleep moves it. */
class Clock {
  constructor(public t: number) {}
  readonly sleeps: number[] = [];
  now = (): number => this.t;
  sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.t += ms;
  };
}

/** The stream, in memory: every accepted record with the time it was put. */
class FakeStream implements RecordStream {
  readonly name = 'fake-stream';
  readonly accepted: Array<{ at: number; record: StreamRecord }> = [];
  calls = 0;
  constructor(
    private readonly clock: Clock,
    public shards = 2,
    private readonly reject: (r: StreamRecord, call: number) => string | undefined = () => undefined,
    private readonly fail: (call: number) => Error | undefined = () => undefined,
  ) {}
  async putRecords(records: readonly StreamRecord[]): Promise<PutResult[]> {
    this.calls++;
    const err = this.fail(this.calls);
    if (err) throw err;
    return records.map((r) => {
      const code = this.reject(r, this.calls);
      if (code) return { ok: false, errorCode: code };
      this.accepted.push({ at: this.clock.t, record: r });
      return { ok: true };
    });
  }
  async openShardCount(): Promise<number> {
    return this.shards;
  }
}

const decode = (r: StreamRecord): SubscriptionMessage => JSON.parse(gunzipSync(r.data).toString('utf8')) as SubscriptionMessage;
const REQUEST = { scenario: 'error-burst', partitions: ['checkout#us-east-1'], startInMinutes: 1, durationMinutes: 2, quietMinutes: 1, replay: true, scale: 4, seed: 3 };

async function generated(request: unknown = REQUEST, shards = 2) {
  const clock = new Clock(NOW);
  const runs = new MemoryObjects();
  const stream = new FakeStream(clock, shards);
  const deps: GenerateDeps & ReplayDeps = { runs, stream, latenessMs: 120_000, now: clock.now, sleep: clock.sleep, baseDelayMs: 100 };
  const run = await generateScenarioRun({ request, now: NOW, unique: 'exec-1' }, deps);
  return { clock, runs, stream, deps, run };
}

/** Replays every minute as the state machine does: Wait until the minute, then ReplayMinute. */
async function replayAll(run: ScenarioRun, deps: ReplayDeps, clock: Clock): Promise<ScenarioRun> {
  let r = run;
  for (let i = 0; i < run.minutes + 1 && !r.cursor.done; i++) {
    clock.t = Math.max(clock.t, Date.parse(r.cursor.waitUntil));
    r = { ...r, cursor: await replayMinute(r, deps) };
  }
  return r;
}

describe('generate', () => {
  it('stores spec, labels, events, the manifest and one planned chunk per minute; the manifest says when to report', async () => {
    const { runs, run } = await generated();
    const keys = scenarioRunKeys(run.runId);
    expect(run).toMatchObject({ runId: 'error-burst-20261116T150100-exec-1', replay: true, minutes: 4, start: new Date(ANCHOR).toISOString(), end: new Date(ANCHOR + 4 * MIN).toISOString(), partitions: ['checkout#us-east-1'], incidents: 1, stream: { name: 'fake-stream', shardCount: 2, shardShare: 0.5, recordsPerSecond: null } });
    expect(run.reportAt).toBe(new Date(ANCHOR + 4 * MIN + 120_000 + 120_000).toISOString());
    expect(run.cursor).toMatchObject({ index: 0, done: false, waitUntil: new Date(ANCHOR).toISOString(), recordsPut: 0 });
    for (const k of [keys.spec, keys.labels, keys.events, keys.manifest, keys.chunk(0), keys.chunk(3)]) expect(runs.data.has(k), k).toBe(true);
    expect(runs.data.has(keys.chunk(4))).toBe(false);
    expect(runs.data.get(keys.events)!.split('\n')).toHaveLength(run.events);
    expect(run.events).toBeGreaterThan(100);
    expect(JSON.parse(runs.data.get(keys.labels)!)).toEqual([{ partition: 'checkout#us-east-1', start: ANCHOR + MIN, end: ANCHOR + 3 * MIN, kind: 'error_burst' }]);
  });

  it('without replay: no chunks, no stream needed, the cursor is done', async () => {
    const runs = new MemoryObjects();
    const run = await generateScenarioRun({ request: { ...REQUEST, replay: false }, now: NOW }, { runs, latenessMs: 60_000 });
    expect(run.replay).toBe(false);
    expect(run.cursor.done).toBe(true);
    expect(run.stream).toBeNull();
    expect([...runs.data.keys()].filter((k) => k.includes('/replay/'))).toEqual([]);
  });

  it('refuses a minute that cannot go out in real time within the limits, saying what to change', async () => {
    await expect(generated({ ...REQUEST, recordsPerSecond: 1 })).rejects.toThrow(ScenarioRunInputError);
    await expect(generated({ ...REQUEST, recordsPerSecond: 1 })).rejects.toThrow(/more than real time allows\. Add shards .*raise "shardShare" or "recordsPerSecond", or lower "scale"/);
  });
});

describe('replayMinute', () => {
  it('puts every record exactly once, none before its events happened, within each shard share per second', async () => {
    const { run, stream, deps, clock } = await generated();
    const done = await replayAll(run, deps, clock);
    expect(done.cursor).toMatchObject({ done: true, index: 4, recordsPut: run.records, recordsFailed: 0, eventsPut: run.events, requestsSkipped: 0 });
    expect(stream.accepted).toHaveLength(run.records);
    const ids = stream.accepted.flatMap((a) => decode(a.record).logEvents.map((e) => e.id));
    expect(new Set(ids).size).toBe(run.events);
    const perSecondShard = new Map<string, { n: number; bytes: number }>();
    for (const a of stream.accepted) {
      const last = Math.max(...decode(a.record).logEvents.map((e) => e.timestamp));
      expect(a.at).toBeGreaterThan(last);
      // ... and not much later: within 2 s (light traffic never waits for budget).
      expect(a.at - last).toBeLessThanOrEqual(2000);
      const key = `${Math.floor(a.at / 1000)}|${shardOfKey(a.record.partitionKey, 2)}`;
      const u = perSecondShard.get(key) ?? { n: 0, bytes: 0 };
      u.n++;
      u.bytes += a.record.data.byteLength + a.record.partitionKey.length;
      perSecondShard.set(key, u);
    }
    for (const u of perSecondShard.values()) {
      expect(u.n).toBeLessThanOrEqual(KINESIS_LIMITS.shardRecordsPerSecond / 2);
      expect(u.bytes).toBeLessThanOrEqual(KINESIS_LIMITS.shardBytesPerSecond / 2);
    }
  });

  it('is idempotent: the same step again puts nothing and answers the same totals', async () => {
    const { run, stream, deps, clock } = await generated();
    clock.t = ANCHOR;
    const first = await replayMinute(run, deps);
    const put = stream.accepted.length;
    expect(put).toBeGreaterThan(0);
    const again = await replayMinute(run, deps);
    expect(stream.accepted).toHaveLength(put);
    expect({ ...again, requestsSkipped: 0, maxLagSeconds: 0 }).toEqual({ ...first, maxLagSeconds: 0 });
    expect(again.requestsSkipped).toBeGreaterThan(0);
    // A done cursor is answered as it is.
    expect(await replayMinute({ ...run, cursor: { ...first, done: true } }, deps)).toEqual({ ...first, done: true });
  });

  it('a step that died mid-minute resumes after its last settled request: every record once in all', async () => {
    const { run, stream, deps, clock } = await generated();
    clock.t = ANCHOR + MIN; // minute 1, the incident's first
    const minute1 = { ...run, cursor: { ...run.cursor, index: 1, waitUntil: new Date(ANCHOR + MIN).toISOString() } };
    let sleeps = 0;
    const dying: ReplayDeps = { ...deps, sleep: async (ms) => { if (++sleeps === 3) throw new Error('Task timed out'); await clock.sleep(ms); } };
    await expect(replayMinute(minute1, dying)).rejects.toThrow('Task timed out');
    const before = stream.accepted.length;
    expect(before).toBeGreaterThan(0);
    const resumed = await replayMinute(minute1, deps);
    expect(resumed.requestsSkipped).toBeGreaterThan(0);
    const ids = stream.accepted.flatMap((a) => decode(a.record).logEvents.map((e) => e.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(resumed.recordsPut).toBe(stream.accepted.length);
    expect(stream.accepted.length).toBeGreaterThan(before);
  });

  it('retries rejected entries with backoff; what still fails is counted, never dropped silently', async () => {
    const clock = new Clock(ANCHOR);
    const hot = 'checkout-us-east-1-0/stream';
    const records = [0, 1, 2, 3].map((i) => ({ data: Buffer.from(`r${i}`), partitionKey: i === 3 ? hot : `k${i}`, events: 2 }));
    // First call throttles everything; afterwards only the hot key keeps failing.
    const stream = new FakeStream(clock, 1, (r, call) => (call === 1 || r.partitionKey === hot ? 'ProvisionedThroughputExceededException' : undefined));
    const out = await putWithRetry(stream, records, { maxAttempts: 4, baseDelayMs: 100, sleep: clock.sleep });
    expect(out).toEqual({ put: 3, failed: 1, retries: 4 + 1 + 1, events: 6 });
    expect(clock.sleeps).toEqual([100, 200, 400]);
    // A call that fails as a whole (throttled, network) is retried as a whole.
    const flaky = new FakeStream(clock, 1, () => undefined, (call) => (call === 1 ? Object.assign(new Error('slow down'), { name: 'LimitExceededException' }) : undefined));
    expect(await putWithRetry(flaky, records, { sleep: clock.sleep })).toEqual({ put: 4, failed: 0, retries: 4, events: 8 });
    // No retry fixes a missing stream or missing permissions: the step fails with it.
    const denied = new FakeStream(clock, 1, () => undefined, () => Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
    await expect(putWithRetry(denied, records, { sleep: clock.sleep })).rejects.toThrow('not allowed');
  });

  it('counts records that still fail in the cursor and the completed event', async () => {
    const { run, deps, clock } = await generated();
    const failing = new FakeStream(clock, 2, (r) => (shardOfKey(r.partitionKey, 2) === 0 ? 'InternalFailure' : undefined));
    const done = await replayAll(run, { ...deps, stream: failing, maxAttempts: 2 }, clock);
    expect(done.cursor.recordsFailed).toBeGreaterThan(0);
    expect(done.cursor.recordsPut + done.cursor.recordsFailed).toBe(run.records);
    expect(failing.accepted).toHaveLength(done.cursor.recordsPut);
    const sent: unknown[] = [];
    const detail = await publishScenarioRun(done, null, { alerts: { publish: async (_t, d) => void sent.push(d) } });
    expect(detail).toMatchObject({ status: 'replayed', recordsFailed: done.cursor.recordsFailed, recordsPut: done.cursor.recordsPut });
    expect(detail.message).toMatch(new RegExp(`${done.cursor.recordsFailed} records could not be put after retries`));
  });

  it('spreads the planned ticks when the stream has fewer shards than planned', async () => {
    const { run, stream, deps, clock } = await generated(REQUEST, 4);
    stream.shards = 2;
    clock.t = ANCHOR + MIN;
    await replayMinute({ ...run, cursor: { ...run.cursor, index: 1, waitUntil: new Date(ANCHOR + MIN).toISOString() } }, deps);
    const times = [...new Set(stream.accepted.map((a) => a.at))].sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(2000);
  });
});

describe('report and publish', () => {
  it("reads the pipeline's anomalies for the run's partitions and stretch, and gives each its verdict", async () => {
    const { run, runs, deps, clock } = await generated();
    const done = await replayAll(run, deps, clock);
    const anomalies = new MemoryObjects();
    const a = (partition: string, t: number, id: string) => anomalies.putJson(anomalyKey(partition, t, id), { id, partition, windowStart: t, kind: 'error_spike', severity: 'high', probability: 0.99 });
    await a('checkout#us-east-1', ANCHOR + MIN, 'true-1'); // on the incident
    await a('checkout#us-east-1', ANCHOR + 2 * MIN, 'true-2');
    await a('checkout#us-east-1', ANCHOR, 'false-1'); // before it
    await a('payments#eu-west-1', ANCHOR + MIN, 'other-partition'); // not in the run
    await a('checkout#us-east-1', ANCHOR + 30 * MIN, 'after-the-run'); // outside the stretch
    // An early warning the closer stored 20 minutes before the first detection on the incident.
    await anomalies.putJson(predictionKey('checkout#us-east-1', ANCHOR - 19 * MIN, 'warn-1'), { id: 'warn-1', partition: 'checkout#us-east-1', issuedAt: ANCHOR - 19 * MIN, change: 'opened' });
    const summary = await reportScenarioRun(done, { runs, anomalies });
    expect(summary).toEqual({ status: 'reported', recall: 1, precision: 2 / 3, anomalies: 3, falseAnomalies: 1, meanDelayMin: 0, incidentsDetected: 1 });
    const keys = scenarioRunKeys(run.runId);
    const labelled = JSON.parse(runs.data.get(keys.labelledAnomalies)!) as Array<{ id: string; verdict: unknown }>;
    expect(labelled.map((l) => [l.id, l.verdict])).toEqual([
      ['false-1', { matched: false, incident: null, kind: null }],
      ['true-1', { matched: true, incident: 0, kind: 'error_burst' }],
      ['true-2', { matched: true, incident: 0, kind: 'error_burst' }],
    ]);
    expect(JSON.parse(runs.data.get(keys.report)!)).toMatchObject({ recall: 1, anomalies: 3, falseAnomalies: 1, predictions: 1, warnedBeforeDetection: 1, meanLeadMin: 20 });

    const events: Array<{ type: string; detail: any }> = [];
    const alerts: AlertPublisher = { publish: async (type, detail) => void events.push({ type, detail }) };
    const detail = await publishScenarioRun(done, summary, { alerts });
    expect(events).toEqual([{ type: EVENTS.scenarioRunCompleted, detail }]);
    expect(detail).toMatchObject({ runId: run.runId, status: 'reported', recall: 1, precision: 2 / 3, s3Uri: `s3://mem-synthetic/scenario-runs/${run.runId}/`, recordsPut: run.records, recordsFailed: 0 });
    expect(detail.message).toMatch(/^Scenario error-burst: recall 100%, precision 67%/);
  });
});

describe('report: generation source and realism in report.json', () => {
  it('stores how each partition was generated and the realism section (real windows from the dataset bucket at the same hours a week before)', async () => {
    const { run, runs, deps, clock } = await generated();
    expect(run.generation).toEqual([expect.objectContaining({ partition: 'checkout#us-east-1', source: 'services', reason: 'no profile store configured: the service generator' })]);
    const done = await replayAll(run, deps, clock);
    // Real windows: the run's own events a week earlier, through the same pure path.
    const events = (await runs.getJsonLines<LogEvent>(scenarioRunKeys(run.runId).events))!;
    const week = 7 * 86_400_000;
    const seen = eventWindows(events.map((e) => ({ ...e, timestamp: e.timestamp - week })), () => contextFromProfile(null), { rules: DEFAULT_PARTITION_RULES, defaultRegion: 'us-east-1' });
    const datasets = new MemoryObjects();
    await datasets.putJsonLines(windowBatchKey('checkout#us-east-1', new Date(ANCHOR - week).toISOString().slice(0, 10), 'history'), seen.byPartition.get('checkout#us-east-1')!);
    await reportScenarioRun(done, { runs, anomalies: new MemoryObjects(), realism: { datasets, rules: DEFAULT_PARTITION_RULES, defaultRegion: 'us-east-1', options: { minBasisWindows: 1, minWindows: 1 } } });
    const stored = JSON.parse(runs.data.get(scenarioRunKeys(run.runId).report)!) as StoredReport;
    expect(stored.generation).toEqual(run.generation);
    const p = stored.realism!.partitions[0];
    expect(p).toMatchObject({ partition: 'checkout#us-east-1', source: 'services', basis: 'hour-of-week', note: null });
    // Minute 1..2 is the incident (and the grace after it covers the rest): only the first minute is compared.
    expect(p.syntheticWindows).toBe(1);
    expect(p.realWindows).toBe(4);
    expect(p.report!.templates.js).toBeGreaterThanOrEqual(0);
  });

  it('without real windows the section says so; without realism deps report.json has none', async () => {
    const { run, runs, deps, clock } = await generated();
    const done = await replayAll(run, deps, clock);
    await reportScenarioRun(done, { runs, anomalies: new MemoryObjects(), realism: { datasets: new MemoryObjects(), rules: DEFAULT_PARTITION_RULES, defaultRegion: 'us-east-1' } });
    const stored = JSON.parse(runs.data.get(scenarioRunKeys(run.runId).report)!) as StoredReport;
    expect(stored.realism!.partitions[0]).toMatchObject({ report: null, note: 'no real windows to compare with' });
    await reportScenarioRun(done, { runs, anomalies: new MemoryObjects() });
    expect(JSON.parse(runs.data.get(scenarioRunKeys(run.runId).report)!)).not.toHaveProperty('realism');
  });
});

describe('direct invoke', () => {
  const deps = (clock: Clock, runs: MemoryObjects, stream: FakeStream, events: unknown[]) => ({
    runs,
    stream,
    anomalies: new MemoryObjects(),
    alerts: { publish: async (type: string, detail: object) => void events.push({ type, detail }) },
    latenessMs: 120_000,
    now: clock.now,
    sleep: clock.sleep,
  });

  it('generates and replays a short run in the invocation and publishes that it was replayed (no report)', async () => {
    const clock = new Clock(NOW);
    const runs = new MemoryObjects();
    const stream = new FakeStream(clock);
    const events: unknown[] = [];
    const out = await runScenarioDirect(REQUEST, deps(clock, runs, stream, events), { now: NOW, unique: 'req-1', remainingMs: 900_000 });
    expect(out.run.cursor).toMatchObject({ done: true, recordsPut: out.run.records });
    expect(stream.accepted).toHaveLength(out.run.records);
    expect(out.summary).toMatchObject({ status: 'replayed', runId: 'error-burst-20261116T150100-req-1' });
    expect(events).toHaveLength(1);
  });

  it('refuses a replay longer than the time left, before writing anything, and names the state machine', async () => {
    const clock = new Clock(NOW);
    const runs = new MemoryObjects();
    const events: unknown[] = [];
    const call = runScenarioDirect({ ...REQUEST, durationMinutes: 30 }, deps(clock, runs, new FakeStream(clock), events), { now: NOW, remainingMs: 900_000, stateMachine: 'harbinger-scenario-runs' });
    await expect(call).rejects.toThrow(ScenarioRunInputError);
    await expect(runScenarioDirect({ ...REQUEST, durationMinutes: 30 }, deps(clock, runs, new FakeStream(clock), events), { now: NOW, remainingMs: 900_000, stateMachine: 'harbinger-scenario-runs' })).rejects.toThrow(
      /longer than this invocation can last .*Start the scenario-run state machine harbinger-scenario-runs with the same input/,
    );
    expect(runs.data.size).toBe(0);
    // Without replay the same request only generates and stores.
    const out = await runScenarioDirect({ ...REQUEST, durationMinutes: 30, replay: false }, deps(clock, runs, new FakeStream(clock), events), { now: NOW, remainingMs: 900_000 });
    expect(out.summary).toMatchObject({ status: 'generated', recordsPut: null, recall: null });
    expect(out.summary.message).toMatch(/generated and stored only \(replay was off\)/);
  });
});
