/**
 * Alert feedback on the emulators: a label is stored next to its anomaly, a false positive raises
 * the partition's alert level one bounded step (idempotently), the next scoring of the same
 * evidence stays quiet, the next retraining keeps the window, and `harbinger label` does the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from './run-cli';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startLocalStack, type LocalStack } from '../../infra/local/local-stack';
import { ProfileStore } from '../../functions/adapters/profile-store';
import { ObjectStore } from '../../functions/adapters/object-store';
import { LabelStore } from '../../functions/adapters/label-store';
import { buildProfile } from '../../functions/core/profile';
import { scoreWindow } from '../../functions/core/scoring';
import { anomalyKey } from '../../functions/core/resources';
import { synthWindows } from '../../functions/core/synth/windows';
import { LabelRequestError } from '../../functions/core/feedback';
import { AnomalyNotFoundError, applyLabel } from '../../functions/feedback/feedback';
import { anomalousWindowStarts } from '../../functions/retraining/prepare';
import type { Anomaly, DetectorResult, Profile, WindowFeatures } from '../../functions/core/types';

const P = 'payments#eu-west-1';
const T0 = Date.UTC(2026, 10, 16, 15, 0);
let stack: LocalStack;
let profiles: ProfileStore;
let anomalies: ObjectStore;
let labels: LabelStore;
let window: WindowFeatures;

/** A model-like result of 0.96: above the default level 0.95, below 0.965 (one false-positive step). */
const evidenceOf = (scoreValue: number): DetectorResult => ({ detector: 'vae', kind: 'seasonal_band', score: scoreValue, deviations: [{ feature: 'count', observed: 90, expected: 60, band: [40, 80], z: 3.1 }], evidence: ['count 90 vs 40..80'] });

const score = (profile: Profile, w: WindowFeatures, s = 0.96): Anomaly | null =>
  scoreWindow(w, { profile, rolling: {} } as never, { enabled: [], extraResults: [evidenceOf(s)], now: T0 }).anomaly;

/** Scores and stores an anomaly as the closer would. */
async function storeAnomaly(w: WindowFeatures, s = 0.96): Promise<Anomaly> {
  const a = score((await profiles.getCurrent(P))!, w, s);
  expect(a).not.toBeNull();
  await anomalies.putJson(anomalyKey(a!.partition, a!.windowStart, a!.id), a);
  return a!;
}

const cli = (args: string[]): Promise<CliResult> => runCli(args);

beforeAll(async () => {
  stack = await startLocalStack();
  profiles = new ProfileStore({ client: DynamoDBDocumentClient.from(stack.clients.dynamodb), table: stack.names.table, cacheTtlMs: 0 });
  anomalies = new ObjectStore({ client: stack.clients.s3, bucket: stack.names.anomalyBucket });
  labels = new LabelStore(anomalies);
  const windows = synthWindows({ partitions: [P], days: 1, seed: 3 }).map((w) => ({ ...w, templates: {}, newTemplates: {}, samples: {} }));
  await profiles.publish(buildProfile({ partition: P, windows, templates: [], version: 1, builtAt: T0 - 86_400_000 }));
  window = { ...windows[0], windowStart: T0 };
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe('alert feedback', () => {
  it('a false positive is stored, raises the level one step, and a retry does not step again', async () => {
    const a = await storeAnomaly(window);
    const first = await applyLabel({ partition: P, anomalyId: a.id, verdict: 'false_positive', note: 'planned load test' }, { labels, profiles, now: () => T0 + 1 });
    expect(first.changed).toBe(true);
    expect(first.label.sensitivity.before).toBe(0.95);
    expect(first.label.sensitivity.after).toBeCloseTo(0.965, 9);
    expect((await profiles.getCurrent(P))?.sensitivity).toBeCloseTo(0.965, 9);
    expect(await labels.get(P, a.windowStart, a.id)).toMatchObject({ verdict: 'false_positive', note: 'planned load test', kind: a.kind });

    const again = await applyLabel({ partition: P, anomalyId: a.id, verdict: 'false_positive' }, { labels, profiles });
    expect(again.changed).toBe(false);
    expect((await profiles.getCurrent(P))?.sensitivity).toBeCloseTo(0.965, 9);
    expect(await profiles.versions(P)).toEqual([1]);
  });

  it('the same evidence no longer raises an anomaly at the next scoring', async () => {
    const profile = (await profiles.getCurrent(P))!;
    expect(score(profile, { ...window, windowStart: T0 + 60_000 })).toBeNull();
    expect(score({ ...profile, sensitivity: 0.95 }, { ...window, windowStart: T0 + 60_000 })).not.toBeNull();
  });

  it('the next retraining keeps false-positive windows and leaves confirmed ones out', async () => {
    const confirmed = await storeAnomaly({ ...window, windowStart: T0 + 5 * 60_000 }, 0.999);
    await applyLabel({ partition: P, anomalyId: confirmed.id, verdict: 'true_positive' }, { labels, profiles });
    const excluded = await anomalousWindowStarts(anomalies, P, T0 - 60_000, T0 + 3_600_000);
    expect([...excluded]).toEqual([T0 + 5 * 60_000]);
    // A true positive never moves the level.
    expect((await profiles.getCurrent(P))?.sensitivity).toBeCloseTo(0.965, 9);
  });

  it('refuses unknown anomalies and bad requests with what to fix', async () => {
    await expect(applyLabel({ partition: P, anomalyId: '0123456789abcdef', verdict: 'false_positive' }, { labels, profiles })).rejects.toThrow(AnomalyNotFoundError);
    await expect(applyLabel({ partition: P, anomalyId: 'x', verdict: 'nope' }, { labels, profiles })).rejects.toThrow(LabelRequestError);
  });

  it('harbinger label and labels work against the emulators', async () => {
    const a = await storeAnomaly({ ...window, windowStart: T0 + 10 * 60_000 }, 0.999);
    const bad = await cli(['label', P, a.id, 'maybe']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('say "true"');
    const ok = await cli(['label', P, a.id, 'false', '--note', 'canary']);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('as false positive');
    expect(ok.stdout).toMatch(/alert level 0\.965 -> 0\.9755/);
    const listed = await cli(['labels', '--partition', P]);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain(`${P}: 1 true, 2 false positive(s); alert level 0.9755`);
  }, 120_000);
});
