/**
 * Seeds a local stack with what the dashboard reads, written the way the pipeline writes it: one
 * published profile (ProfileStore), 20 closed windows as the window closer stores them (dataset
 * bucket) with an error spike at 15:12, and that window's anomaly (anomaly bucket).
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../infra/local/local-stack';
import { startDashboard, type Dashboard } from '../../infra/local/dashboard/server';
import { ProfileStore } from '../../functions/adapters/profile-store';
import { ObjectStore } from '../../functions/adapters/object-store';
import { buildProfile } from '../../functions/core/profile';
import { synthWindows } from '../../functions/core/synth/windows';
import { anomalyKey, EVENTS, windowFeaturesKey } from '../../functions/core/resources';
import type { Anomaly, WindowFeatures } from '../../functions/core/types';

/** The seeded partition. */
export const FIXTURE_PARTITION = 'checkout#eu-west-1';
/** The seeded anomaly's id (hex, as the closer's ids are: labels accept only those). */
export const FIXTURE_ANOMALY_ID = 'a1a1a1a1b2b2b2b2';
/** First seeded live window (Monday 2026-11-16 15:00 UTC); windows run to 15:19. */
export const FIXTURE_LIVE = Date.UTC(2026, 10, 16, 15, 0);
const MINUTE = 60_000;

const asWindow = (w: { partition: string; windowStart: number; features: WindowFeatures['features'] }): WindowFeatures => ({
  ...w,
  templates: {},
  newTemplates: {},
  samples: {},
});

/** Publishes the profile and stores the windows and the anomaly; returns the anomaly. */
export async function seedDashboardData(stack: LocalStack): Promise<Anomaly> {
  const P = FIXTURE_PARTITION;
  const store = new ProfileStore({ client: DynamoDBDocumentClient.from(stack.clients.dynamodb), table: stack.names.table, cacheTtlMs: 0 });
  const history = synthWindows({ partitions: [P], start: FIXTURE_LIVE - 7 * 86_400_000, days: 7, seed: 3 }).map(asWindow);
  await store.publish(buildProfile({ partition: P, windows: history, templates: [], version: 1, builtAt: FIXTURE_LIVE }));
  const datasets = new ObjectStore({ client: stack.clients.s3, bucket: stack.names.datasetBucket });
  const live = synthWindows({ partitions: [P], start: FIXTURE_LIVE, days: 1, seed: 4 })
    .slice(0, 20)
    .map(asWindow);
  live[12] = { ...live[12], features: { ...live[12].features, errorCount: 40, errorRate: 0.3 } };
  for (const w of live) await datasets.putJson(windowFeaturesKey(P, w.windowStart), w);
  const anomaly: Anomaly = {
    id: FIXTURE_ANOMALY_ID,
    partition: P,
    windowStart: live[12].windowStart,
    windowEnd: live[12].windowStart + MINUTE,
    kind: 'error_spike',
    severity: 'critical',
    probability: 0.9999,
    deviations: [{ feature: 'errorRate', observed: 0.3, expected: 0.01, band: [0, 0.05], z: 12 }],
    sampleEvents: [],
    rootCauseHints: ['errorRate 0.3 vs expected 0.01'],
    detectors: [{ name: 'errorSpike', score: 0.9999 }],
    profileVersion: 1,
    modelVersion: 'statistical-v1',
    detectedAt: live[12].windowStart + 2 * MINUTE,
  };
  await new ObjectStore({ client: stack.clients.s3, bucket: stack.names.anomalyBucket }).putJson(anomalyKey(P, anomaly.windowStart, anomaly.id), anomaly);
  return anomaly;
}

/** A seeded stack with a dashboard on it (any free port), its alerts file holding the anomaly's alert. */
export interface SeededDashboard {
  stack: LocalStack;
  dash: Dashboard;
  alertsFile: string;
  anomaly: Anomaly;
}

/** Starts the emulators, seeds them, writes the anomaly's "Log Anomaly Detected" alert and starts the dashboard. */
export async function startSeededDashboard(tmpPrefix: string): Promise<SeededDashboard> {
  const stack = await startLocalStack();
  const anomaly = await seedDashboardData(stack);
  const alertsFile = join(mkdtempSync(join(tmpdir(), tmpPrefix)), 'alerts.jsonl');
  const alert = { source: 'harbinger', 'detail-type': EVENTS.anomalyDetected, time: new Date(FIXTURE_LIVE + 14 * MINUTE).toISOString(), detail: { ...anomaly, change: 'opened' } };
  writeFileSync(alertsFile, JSON.stringify(alert) + '\n');
  const dash = await startDashboard({ clients: stack.clients, names: stack.names, alertsFile, port: 0, log: () => {} });
  return { stack, dash, alertsFile, anomaly };
}
