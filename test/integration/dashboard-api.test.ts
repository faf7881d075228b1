/**
 * The dashboard's HTTP API against the emulators: reads profiles, stored windows and anomalies
 * through the real SDK clients, sets the sensitivity on the CURRENT pointer, refuses bad input with
 * a 400 and a message, follows the alerts file (predicted crossings too) and pushes Server-Sent Events.
 */
import { appendFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalStack } from '../../infra/local/local-stack';
import { startDashboard, type Dashboard } from '../../infra/local/dashboard/server';
import type { SeriesResponse, ScoresResponse } from '../../infra/local/dashboard/data';
import { EVENTS, KEYS } from '../../functions/core/resources';
import { collectDashboardEvents } from './dashboard-sse';
import { FIXTURE_ANOMALY_ID, FIXTURE_LIVE as LIVE, FIXTURE_PARTITION as P, startSeededDashboard } from './dashboard-fixture';

const MINUTE = 60_000;
let stack: LocalStack;
let dash: Dashboard;
let alertsFile: string;

async function getJson<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(new URL(path, dash.url));
  return { status: res.status, body: (await res.json()) as T };
}

async function post(body: string, contentType = 'application/json'): Promise<{ status: number; body: { error?: string; sensitivity?: number } }> {
  const res = await fetch(new URL('/api/sensitivity', dash.url), { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, body: (await res.json()) as { error?: string; sensitivity?: number } };
}

beforeAll(async () => {
  ({ stack, dash, alertsFile } = await startSeededDashboard('harbinger-dash-api-'));
}, 60_000);

afterAll(async () => {
  await dash?.close();
  await stack?.stop();
});

describe('dashboard API', () => {
  it('serves the page and uPlot from node_modules, on 127.0.0.1 only', async () => {
    expect(dash.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(dash.url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/vendor/uPlot.iife.min.js');
    expect(html).not.toMatch(/https?:\/\//);
    const lib = await fetch(new URL('/vendor/uPlot.iife.min.js', dash.url));
    expect(lib.status).toBe(200);
    expect(lib.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(new URL('/../package.json', dash.url))).status).toBe(404);
  });

  it('lists partitions with their level and scoring', async () => {
    const { status, body } = await getJson<{ partitions: unknown[] }>('/api/partitions');
    expect(status).toBe(200);
    expect(body.partitions).toEqual([{ partition: P, profileVersion: 1, sensitivity: 0.95, scoring: 'statistical', modelVersion: null }]);
  });

  it('returns per-minute features with bands and the stored anomaly', async () => {
    const { status, body } = await getJson<SeriesResponse>(`/api/series?partition=${encodeURIComponent(P)}&minutes=30`);
    expect(status).toBe(200);
    // Defaults to the newest stored window: 15:19 is the last, so the range ends at 15:20.
    expect(body.to).toBe(LIVE + 20 * MINUTE);
    expect(body.t).toHaveLength(30);
    expect(body.bandSource).toBe('seasonal');
    const i = body.t.indexOf(LIVE + 5 * MINUTE);
    const count = body.features.count;
    expect(count.values[i]).toBeGreaterThan(0);
    expect(count.lower[i]!).toBeLessThan(count.upper[i]!);
    expect(count.values[0]).toBeNull(); // before the first stored window
    expect(body.anomalies).toEqual([expect.objectContaining({ id: FIXTURE_ANOMALY_ID, severity: 'critical', kind: 'error_spike', verdict: null, training: 'excluded' })]);
    expect(body.predictionsAvailable).toBe(false);
  });

  it('returns the probability distribution with the threshold at the sensitivity', async () => {
    const { body } = await getJson<ScoresResponse>(`/api/scores?partition=${encodeURIComponent(P)}&minutes=20`);
    expect(body.total).toBe(20);
    expect(body.sensitivity).toBe(0.95);
    expect(body.threshold).toBeCloseTo(-Math.log10(0.05), 6);
    expect(body.above).toBeGreaterThanOrEqual(1); // the stored anomaly's window
    expect(body.bins.reduce((n, b) => n + b.count, 0)).toBe(20);
  });

  it('moves the sensitivity on the CURRENT item, widening the band and moving the threshold', async () => {
    const before = (await getJson<SeriesResponse>(`/api/series?partition=${encodeURIComponent(P)}&minutes=20`)).body;
    const events = collectDashboardEvents(dash.url);
    const res = await post(JSON.stringify({ partition: P, level: 0.999 }));
    expect(res.status).toBe(200);
    expect(res.body.sensitivity).toBe(0.999);
    const item = await DynamoDBDocumentClient.from(stack.clients.dynamodb).send(
      new GetCommand({ TableName: stack.names.table, Key: { pk: KEYS.profilePk(P), sk: KEYS.currentSk }, ConsistentRead: true }),
    );
    expect(item.Item?.sensitivity).toBe(0.999);
    expect(item.Item?.version).toBe(1);
    const after = (await getJson<SeriesResponse>(`/api/series?partition=${encodeURIComponent(P)}&minutes=20`)).body;
    expect(after.sensitivity).toBe(0.999);
    const i = after.t.length - 1;
    expect(after.features.count.upper[i]!).toBeGreaterThan(before.features.count.upper[i]!);
    const scores = (await getJson<ScoresResponse>(`/api/scores?partition=${encodeURIComponent(P)}&minutes=20`)).body;
    expect(scores.threshold).toBeCloseTo(3, 6);
    expect(await events.until((e) => e.event === 'sensitivity')).toMatchObject({ data: { partition: P, level: 0.999 } });
    events.stop();
  });

  it('refuses bad input with a 400 that says what to send', async () => {
    const bad = [
      [JSON.stringify({ partition: P, level: 1.5 }), /out of range: use a probability in \[0\.5, 0\.9999\]/],
      [JSON.stringify({ partition: P, level: 0.1 }), /out of range/],
      [JSON.stringify({ partition: P, level: '0.99' }), /level must be a number/],
      [JSON.stringify({ partition: 'no hash here', level: 0.99 }), /not a partition key/],
      [JSON.stringify({ level: 0.99 }), /partition is required/],
      [JSON.stringify({ partition: 'nope#nowhere', level: 0.99 }), /has no published profile/],
      ['{not json', /must be JSON/],
      ['[1,2]', /JSON object/],
    ] as const;
    for (const [body, message] of bad) {
      const res = await post(body);
      expect(res.status, body).toBe(400);
      expect(res.body.error).toMatch(message);
    }
    expect((await post('level=0.99', 'application/x-www-form-urlencoded')).status).toBe(415);
    const badSeries = await getJson<{ error: string }>('/api/series?partition=checkout');
    expect(badSeries.status).toBe(400);
    expect(badSeries.body.error).toMatch(/service#region/);
    const unknown = await getJson<{ error: string }>(`/api/series?partition=${encodeURIComponent('nope#nowhere')}`);
    expect(unknown.status).toBe(404);
    const badRange = await getJson<{ error: string }>(`/api/series?partition=${encodeURIComponent(P)}&minutes=99999`);
    expect(badRange.status).toBe(400);
    expect(badRange.body.error).toMatch(/minutes must be a whole number in 1\.\.1440/);
    const backwards = await getJson<{ error: string }>(`/api/series?partition=${encodeURIComponent(P)}&from=${LIVE + MINUTE}&to=${LIVE}`);
    expect(backwards.status).toBe(400);
    expect((await fetch(new URL('/api/sensitivity', dash.url))).status).toBe(405);
    // The sensitivity is unchanged by every refused request.
    expect((await getJson<{ partitions: Array<{ sensitivity: number }> }>('/api/partitions')).body.partitions[0].sensitivity).toBe(0.999);
  });

  it('refuses requests for another host name (DNS rebinding)', async () => {
    const u = new URL(dash.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: u.hostname, port: u.port, path: '/api/partitions', headers: { host: 'evil.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('follows the alerts file and pushes minutes, alerts and predicted crossings as events', async () => {
    const alerts = await getJson<{ alerts: Array<{ 'detail-type': string }> }>('/api/alerts');
    expect(alerts.body.alerts.map((a) => a['detail-type'])).toEqual([EVENTS.anomalyDetected]);
    const events = collectDashboardEvents(dash.url);
    await events.until((e) => e.event === 'hello');
    dash.notify(LIVE + 21 * MINUTE);
    expect(await events.until((e) => e.event === 'minute')).toMatchObject({ data: { at: LIVE + 21 * MINUTE } });
    const predicted = { source: 'harbinger', 'detail-type': EVENTS.anomalyPredicted, time: new Date(LIVE + 21 * MINUTE).toISOString(), detail: { partition: P, feature: 'count', crossingAt: LIVE + 35 * MINUTE, probability: 0.8 } };
    appendFileSync(alertsFile, JSON.stringify(predicted) + '\n');
    const pushed = await events.until((e) => e.event === 'alert');
    expect(pushed.data).toMatchObject({ partition: P, envelope: { 'detail-type': EVENTS.anomalyPredicted } });
    const series = (await getJson<SeriesResponse>(`/api/series?partition=${encodeURIComponent(P)}&minutes=20`)).body;
    expect(series.predictionsAvailable).toBe(true);
    expect(series.predicted).toEqual([expect.objectContaining({ partition: P, at: LIVE + 35 * MINUTE, feature: 'count', probability: 0.8 })]);
    events.stop();
  });

  it('refuses a taken port, or falls back to a free one when asked', async () => {
    const port = Number(new URL(dash.url).port);
    await expect(startDashboard({ clients: stack.clients, names: stack.names, port })).rejects.toMatchObject({ name: 'DashboardStartError', portTaken: true });
    await expect(startDashboard({ clients: stack.clients, names: stack.names, port: 70_000 })).rejects.toThrow(/0\.\.65535/);
    const other = await startDashboard({ clients: stack.clients, names: stack.names, port, portFallback: true });
    try {
      expect(Number(new URL(other.url).port)).not.toBe(port);
      expect((await fetch(new URL('/api/partitions', other.url))).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('says capacity is not available yet without a provider, and serves a provider\'s points', async () => {
    const { body } = await getJson<{ available: boolean; reason: string }>('/api/capacity');
    expect(body.available).toBe(false);
    expect(body.reason).toMatch(/not available yet/);
    const points = [{ t: LIVE, records: 900, forecast: 950, lower: 800, upper: 1100, shards: 2 }];
    const other = await startDashboard({ clients: stack.clients, names: stack.names, capacity: async () => ({ points }) });
    try {
      const res = await fetch(new URL('/api/capacity', other.url));
      expect(await res.json()).toMatchObject({ available: true, points });
    } finally {
      await other.close();
    }
  });
});
