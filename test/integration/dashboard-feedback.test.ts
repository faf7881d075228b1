/**
 * The dashboard's feedback, remediation and early-warning API against the emulators: POST
 * /api/labels runs applyLabel (label in the anomaly bucket, a false positive steps the level on the
 * CURRENT item, relabelling is idempotent, bad input is refused with 400/404), GET /api/labels and
 * the series show the labels and their training use, GET /api/remediation reads the attempts the
 * remediation rules stored, and "Log Anomaly Predicted" events in the closer's shape are merged
 * into one prediction each.
 */
import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalStack } from '../../infra/local/local-stack';
import type { Dashboard } from '../../infra/local/dashboard/server';
import type { SeriesResponse } from '../../infra/local/dashboard/data';
import type { LabelResponse, LabelsResponse } from '../../infra/local/dashboard/labels';
import type { RemediationResponse } from '../../infra/local/dashboard/remediation';
import type { PredictedCrossing } from '../../infra/local/dashboard/predictions';
import { LabelStore } from '../../functions/adapters/label-store';
import { ObjectStore } from '../../functions/adapters/object-store';
import { RemediationStore } from '../../functions/adapters/remediation-store';
import { REMEDIATION_RULES, settleAttempt, startAttempt } from '../../functions/core/remediation';
import { EVENTS, KEYS } from '../../functions/core/resources';
import type { Prediction } from '../../functions/core/early-warning';
import { collectDashboardEvents } from './dashboard-sse';
import { FIXTURE_ANOMALY_ID as ID, FIXTURE_LIVE as LIVE, FIXTURE_PARTITION as P, startSeededDashboard } from './dashboard-fixture';

const MINUTE = 60_000;
let stack: LocalStack;
let dash: Dashboard;
let alertsFile: string;
let doc: DynamoDBDocumentClient;

async function getJson<T>(path: string, url = dash.url): Promise<{ status: number; body: T }> {
  const res = await fetch(new URL(path, url));
  return { status: res.status, body: (await res.json()) as T };
}

async function postLabel(body: unknown, contentType = 'application/json'): Promise<{ status: number; body: LabelResponse & { error?: string } }> {
  const res = await fetch(new URL('/api/labels', dash.url), { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as LabelResponse & { error?: string } };
}

async function storedLevel(): Promise<unknown> {
  const item = await doc.send(new GetCommand({ TableName: stack.names.table, Key: { pk: KEYS.profilePk(P), sk: KEYS.currentSk }, ConsistentRead: true }));
  return item.Item?.sensitivity;
}

beforeAll(async () => {
  ({ stack, dash, alertsFile } = await startSeededDashboard('harbinger-dash-feedback-'));
  doc = DynamoDBDocumentClient.from(stack.clients.dynamodb);
}, 60_000);

afterAll(async () => {
  await dash?.close();
  await stack?.stop();
});

describe('labels API', () => {
  it('lists no labels before any, with the current level', async () => {
    const { status, body } = await getJson<LabelsResponse>(`/api/labels?partition=${encodeURIComponent(P)}`);
    expect(status).toBe(200);
    expect(body).toEqual({ partition: P, sensitivity: 0.95, truePositives: 0, falsePositives: 0, falsePositiveShare: null, levelHistory: [], labels: [] });
  });

  it('stores a false alarm, steps the level on CURRENT once, and shows both on the page data', async () => {
    const events = collectDashboardEvents(dash.url);
    await events.until((e) => e.event === 'hello');
    const res = await postLabel({ partition: P, anomalyId: ID, verdict: 'false_positive', note: 'load test', by: 'dashboard' });
    expect(res.status).toBe(200);
    expect(res.body.changed).toBe(true);
    expect(res.body.label).toMatchObject({ anomalyId: ID, partition: P, verdict: 'false_positive', note: 'load test', sensitivity: { before: 0.95, after: 0.965 } });
    expect(await storedLevel()).toBe(0.965);
    const stored = await new LabelStore(new ObjectStore({ client: stack.clients.s3, bucket: stack.names.anomalyBucket })).get(P, LIVE + 12 * MINUTE, ID);
    expect(stored).toMatchObject({ verdict: 'false_positive', sensitivity: { before: 0.95, after: 0.965 } });
    expect(await events.until((e) => e.event === 'label')).toMatchObject({ data: { partition: P, anomalyId: ID, verdict: 'false_positive', level: 0.965 } });
    events.stop();

    expect(res.body.partition).toMatchObject({ sensitivity: 0.965, truePositives: 0, falsePositives: 1, falsePositiveShare: 1 });
    expect(res.body.partition.levelHistory).toEqual([expect.objectContaining({ anomalyId: ID, verdict: 'false_positive', before: 0.95, after: 0.965, windowStart: LIVE + 12 * MINUTE })]);
    expect(res.body.partition.labels).toEqual([expect.objectContaining({ anomalyId: ID, training: 'kept' })]);
    // The dashboard's own cached profile was dropped: the level shows at once.
    const series = (await getJson<SeriesResponse>(`/api/series?partition=${encodeURIComponent(P)}&minutes=20`)).body;
    expect(series.sensitivity).toBe(0.965);
    expect(series.anomalies).toEqual([expect.objectContaining({ id: ID, verdict: 'false_positive', note: 'load test', training: 'kept' })]);
    expect((await getJson<{ partitions: Array<{ sensitivity: number }> }>('/api/partitions')).body.partitions[0].sensitivity).toBe(0.965);
  });

  it('is idempotent: the same verdict again changes nothing', async () => {
    const res = await postLabel({ partition: P, anomalyId: ID, verdict: 'false_positive' });
    expect(res.status).toBe(200);
    expect(res.body.changed).toBe(false);
    expect(res.body.label.sensitivity).toEqual({ before: 0.95, after: 0.965 });
    expect(await storedLevel()).toBe(0.965);
  });

  it('a real problem keeps the level and takes the window out of training', async () => {
    const res = await postLabel({ partition: P, anomalyId: ID, verdict: 'true_positive' });
    expect(res.status).toBe(200);
    expect(res.body.changed).toBe(true);
    expect(res.body.label.sensitivity).toEqual({ before: 0.965, after: 0.965 });
    expect(await storedLevel()).toBe(0.965);
    const { body } = await getJson<LabelsResponse>(`/api/labels?partition=${encodeURIComponent(P)}`);
    expect(body).toMatchObject({ sensitivity: 0.965, truePositives: 1, falsePositives: 0 });
    expect(body.labels).toEqual([expect.objectContaining({ anomalyId: ID, verdict: 'true_positive', training: 'excluded' })]);
    const series = (await getJson<SeriesResponse>(`/api/series?partition=${encodeURIComponent(P)}&minutes=20`)).body;
    expect(series.anomalies[0]).toMatchObject({ verdict: 'true_positive', training: 'excluded' });
  });

  it('refuses bad labels with 400, unknown anomalies with 404, and says what to send', async () => {
    const bad = [
      [{ partition: P, anomalyId: ID, verdict: 'maybe' }, 400, /verdict must be "true_positive" or "false_positive"/],
      [{ partition: P, anomalyId: 'not-hex!', verdict: 'true_positive' }, 400, /anomalyId is the hex id/],
      [{ partition: P, anomalyId: ID, verdict: 'true_positive', colour: 'red' }, 400, /Invalid label/],
      [{ partition: P, anomalyId: 'deadbeefdeadbeef', verdict: 'false_positive' }, 404, /No stored anomaly deadbeefdeadbeef/],
      [{ partition: 'nope#nowhere', anomalyId: ID, verdict: 'false_positive' }, 404, /No stored anomaly/],
      ['{not json', 400, /must be JSON/],
    ] as const;
    for (const [body, status, message] of bad) {
      const res = await postLabel(body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error).toMatch(message);
    }
    expect((await postLabel('x', 'text/plain')).status).toBe(415);
    expect((await fetch(new URL('/api/labels', dash.url), { method: 'PUT' })).status).toBe(405);
    expect((await getJson<{ error: string }>('/api/labels')).status).toBe(400);
    // Nothing moved.
    expect(await storedLevel()).toBe(0.965);
  });
});

describe('remediation API', () => {
  const rule = REMEDIATION_RULES[0];
  const incident = (id: string) => ({ id, partition: P, kind: 'volume_spike' as const });

  it('lists every rule with no attempts before any', async () => {
    const { status, body } = await getJson<RemediationResponse>('/api/remediation');
    expect(status).toBe(200);
    // No simulated minute was notified yet: "now" is the newest alert's time.
    expect(body).toMatchObject({ asOf: LIVE + 14 * MINUTE, asOfSource: 'alerts', recent: [] });
    expect(body.rules).toEqual([
      {
        id: rule.id,
        description: rule.description,
        kinds: [...rule.kinds],
        changes: [...rule.changes],
        action: rule.action,
        clearWithinMinutes: rule.clearWithinMinutes,
        attempts: 0,
        cleared: 0,
        notCleared: 0,
        pending: 0,
        actionFailed: 0,
        successRate: null,
        medianMinutesToClear: null,
      },
    ]);
  });

  it('shows stored attempts with outcomes at the simulated clock', async () => {
    const store = new RemediationStore({ client: doc, table: stack.names.table });
    const t = (m: number): number => LIVE + m * MINUTE;
    await store.start(settleAttempt(startAttempt(rule, incident('i1'), t(0)), t(6)));
    await store.start(settleAttempt(startAttempt(rule, incident('i2'), t(2)), t(10)));
    await store.start(startAttempt(rule, incident('i3'), t(4))); // deadline t(19): not cleared by t(30)
    await store.start({ ...startAttempt(rule, incident('i4'), t(5)), status: 'action_failed', actionResult: 'capacity function failed' });
    await store.start(startAttempt(rule, incident('i5'), t(25))); // still pending at t(30)
    dash.notify(t(30));
    const { body } = await getJson<RemediationResponse>('/api/remediation?limit=3');
    expect(body).toMatchObject({ asOf: t(30), asOfSource: 'simulated-clock' });
    expect(body.rules[0]).toMatchObject({ attempts: 5, cleared: 2, notCleared: 1, pending: 1, actionFailed: 1, successRate: 0.5, medianMinutesToClear: 7 });
    expect(body.recent.map((a) => [a.incidentId, a.statusNow])).toEqual([
      ['i5', 'pending'],
      ['i4', 'action_failed'],
      ['i3', 'not_cleared'],
    ]);
    expect(body.recent[1].actionResult).toBe('capacity function failed');
    expect((await getJson<{ error: string }>('/api/remediation?limit=0')).status).toBe(400);
  });
});

describe('early warnings', () => {
  const prediction = (over: Partial<Prediction> = {}): Prediction => ({
    id: 'c0ffee00c0ffee00',
    partition: P,
    feature: 'latencyP95',
    direction: 'up',
    kind: 'latency',
    issuedAt: LIVE + 18 * MINUTE,
    updatedAt: LIVE + 18 * MINUTE,
    crossingAt: LIVE + 26 * MINUTE,
    confidentAt: LIVE + 28 * MINUTE,
    probability: 0.93,
    forecast: { mean: 410, lower: 320, upper: 520 },
    threshold: 380,
    thresholdSource: 'profile',
    observed: 240,
    expected: 180,
    horizonMinutes: 60,
    confidence: 0.9,
    expiresAt: LIVE + 88 * MINUTE,
    message: 'latencyP95 forecast to rise above 380 around 15:26Z',
    status: 'open',
    ...over,
  });
  const envelope = (detail: object, minute: number) => ({ source: 'harbinger', 'detail-type': EVENTS.anomalyPredicted, time: new Date(LIVE + minute * MINUTE).toISOString(), detail });

  it('merges the closer\'s opened and came_true events of one prediction', async () => {
    const before = await getJson<{ available: boolean; predictions: PredictedCrossing[] }>('/api/predictions');
    expect(before.body).toEqual({ available: false, predictions: [] });
    const events = collectDashboardEvents(dash.url);
    await events.until((e) => e.event === 'hello');
    appendFileSync(alertsFile, JSON.stringify(envelope({ ...prediction(), change: 'opened' }, 18)) + '\n');
    await events.until((e) => e.event === 'alert');
    let series = (await getJson<SeriesResponse>(`/api/series?partition=${encodeURIComponent(P)}&minutes=20`)).body;
    expect(series.predicted).toEqual([
      expect.objectContaining({ id: 'c0ffee00c0ffee00', at: LIVE + 26 * MINUTE, raisedAt: LIVE + 18 * MINUTE, status: 'open', change: 'opened', feature: 'latencyP95', direction: 'up', probability: 0.93, threshold: 380 }),
    ]);
    const resolution = { outcome: 'came_true' as const, at: LIVE + 24 * MINUTE, by: 'detector' as const, anomalyId: 'abcdef0123456789', leadMinutes: 6 };
    dash.notify(envelope({ ...prediction({ status: 'came_true', resolution, message: 'came true: ...' }), change: 'came_true' }, 24));
    const { body } = await getJson<{ available: boolean; predictions: PredictedCrossing[] }>(`/api/predictions?partition=${encodeURIComponent(P)}`);
    expect(body.available).toBe(true);
    expect(body.predictions).toHaveLength(1);
    expect(body.predictions[0]).toMatchObject({ status: 'came_true', change: 'came_true', raisedAt: LIVE + 18 * MINUTE, updatedAt: LIVE + 24 * MINUTE, resolution });
    series = (await getJson<SeriesResponse>(`/api/series?partition=${encodeURIComponent(P)}&minutes=20`)).body;
    expect(series.predicted.map((p) => p.status)).toEqual(['came_true']);
    events.stop();
  });
});
