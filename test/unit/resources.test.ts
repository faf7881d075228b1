import { describe, expect, it } from 'vitest';
import {
  anomalyKey,
  catalogueKey,
  ENV,
  EVENTS,
  KEYS,
  resourceNames,
  STREAM_DEFAULTS,
  TABLE_SCHEMA,
  scenarioRunPrefix,
  thresholdsKey,
  trainingPrefix,
  windowBatchKey,
  windowFeaturesKey,
  windowsPrefix,
} from '../../functions/core/resources';

/** Wednesday 2024-05-08 12:30 UTC. */
const W = Date.UTC(2024, 4, 8, 12, 30);
const P = 'checkout#eu-west-1';
const P_SEG = 'checkout#eu-west-1#blue';

describe('resourceNames', () => {
  it('defaults to the harbinger prefix without a bucket suffix', () => {
    expect(resourceNames()).toEqual({
      stream: 'harbinger-logs',
      table: 'harbinger-state',
      anomalyBucket: 'harbinger-anomalies',
      syntheticBucket: 'harbinger-synthetic',
      datasetBucket: 'harbinger-datasets',
      modelBucket: 'harbinger-models',
      eventBus: 'harbinger-bus',
      retrainingStateMachine: 'harbinger-retraining',
      modelEndpoint: 'harbinger-vae',
      dashboard: 'harbinger-overview',
    });
  });

  it('suffixes bucket names only (global namespace) when a suffix is given', () => {
    const n = resourceNames('harbinger', '123456789012-eu-west-1');
    expect(n.anomalyBucket).toBe('harbinger-anomalies-123456789012-eu-west-1');
    expect(n.syntheticBucket).toBe('harbinger-synthetic-123456789012-eu-west-1');
    expect(n.datasetBucket).toBe('harbinger-datasets-123456789012-eu-west-1');
    expect(n.modelBucket).toBe('harbinger-models-123456789012-eu-west-1');
    // Non-bucket names are regional/account-scoped already: no suffix.
    expect(n.stream).toBe('harbinger-logs');
    expect(n.table).toBe('harbinger-state');
    expect(n.eventBus).toBe('harbinger-bus');
  });

  it('uses a custom prefix everywhere', () => {
    const n = resourceNames('hb-dev', 'x1');
    expect(n).toEqual({
      stream: 'hb-dev-logs',
      table: 'hb-dev-state',
      anomalyBucket: 'hb-dev-anomalies-x1',
      syntheticBucket: 'hb-dev-synthetic-x1',
      datasetBucket: 'hb-dev-datasets-x1',
      modelBucket: 'hb-dev-models-x1',
      eventBus: 'hb-dev-bus',
      retrainingStateMachine: 'hb-dev-retraining',
      modelEndpoint: 'hb-dev-vae',
      dashboard: 'hb-dev-overview',
    });
  });

  it('treats an empty suffix like no suffix (no trailing dash)', () => {
    expect(resourceNames('harbinger', '')).toEqual(resourceNames('harbinger'));
  });

  it('gives names that are valid S3 bucket names for a typical account/region suffix', () => {
    const n = resourceNames('harbinger', '123456789012-us-east-1');
    const buckets = [n.anomalyBucket, n.syntheticBucket, n.datasetBucket, n.modelBucket];
    for (const b of buckets) {
      expect(b).toMatch(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/);
    }
    // The buckets are distinct.
    expect(new Set(buckets).size).toBe(buckets.length);
  });
});

describe('KEYS (DynamoDB single-table layout)', () => {
  it('builds partition keys per item family', () => {
    expect(KEYS.profilePk(P)).toBe('PROFILE#checkout#eu-west-1');
    expect(KEYS.windowPk(P)).toBe('WINDOW#checkout#eu-west-1');
    expect(KEYS.statePk(P)).toBe('STATE#checkout#eu-west-1');
    expect(KEYS.currentSk).toBe('CURRENT');
    expect(KEYS.stateSk).toBe('DETECTORS');
  });

  it('profileVersionSk zero-pads so string order equals numeric order', () => {
    expect(KEYS.profileVersionSk(1)).toBe('V#0000000001');
    expect(KEYS.profileVersionSk(42)).toBe('V#0000000042');
    const versions = [1, 2, 9, 10, 11, 99, 100, 101, 999, 1000, 12345, 999999, 1000000, 2147483647, 9999999999];
    const shuffled = [...versions].reverse().map((v, i, a) => a[(i * 7) % a.length]);
    expect(new Set(shuffled).size).toBe(versions.length);
    const byString = shuffled.map((v) => KEYS.profileVersionSk(v)).sort();
    expect(byString).toEqual(versions.map((v) => KEYS.profileVersionSk(v)));
    // Fixed width: all version keys have the same length.
    expect(new Set(versions.map((v) => KEYS.profileVersionSk(v).length))).toEqual(new Set([12]));
  });

  it('version sort keys never collide with the CURRENT pointer', () => {
    for (const v of [0, 1, 7, 10 ** 9]) expect(KEYS.profileVersionSk(v)).not.toBe(KEYS.currentSk);
    expect(KEYS.profileVersionSk(5).startsWith('V#')).toBe(true);
  });

  it('windowSk is the ISO-8601 minute of the window start', () => {
    expect(KEYS.windowSk(W)).toBe('M#2024-05-08T12:30:00.000Z');
    expect(KEYS.windowSk(Date.UTC(2024, 0, 1, 0, 0))).toBe('M#2024-01-01T00:00:00.000Z');
    expect(KEYS.windowSk(Date.UTC(2023, 11, 31, 23, 59))).toBe('M#2023-12-31T23:59:00.000Z');
    // Parses back to the same instant.
    expect(Date.parse(KEYS.windowSk(W).slice(2))).toBe(W);
  });

  it('windowSk sorts chronologically as strings (so a range query walks windows in time order)', () => {
    const starts = [0, 1, 2, 59, 60, 61, 1439, 1440, 10_000, 525_600].map((m) => W + m * 60_000);
    const sks = starts.map((t) => KEYS.windowSk(t));
    expect([...sks].sort()).toEqual(sks);
    expect(new Set(sks).size).toBe(starts.length);
  });

  it('open-window GSI is sharded over a fixed number of keys', () => {
    expect(KEYS.openIndex).toBe('open-windows');
    expect(KEYS.openShards).toBeGreaterThanOrEqual(2);
    const pks = Array.from({ length: KEYS.openShards }, (_, i) => KEYS.openPk(i));
    expect(pks[0]).toBe('OPEN#0');
    expect(new Set(pks).size).toBe(KEYS.openShards);
    expect(TABLE_SCHEMA.openIndex.name).toBe(KEYS.openIndex);
  });
});

describe('S3 object keys', () => {
  it('anomalyKey is deterministic and dated by the window start (UTC)', () => {
    const k = anomalyKey(P, W, 'abcdef0123456789');
    expect(k).toBe('anomalies/partition=checkout%23eu-west-1/date=2024-05-08/1230-abcdef0123456789.json');
    expect(anomalyKey(P, W, 'abcdef0123456789')).toBe(k);
    expect(anomalyKey(P, W + 60_000, 'abcdef0123456789')).toBe('anomalies/partition=checkout%23eu-west-1/date=2024-05-08/1231-abcdef0123456789.json');
    expect(anomalyKey(P, W, 'other')).not.toBe(k);
  });

  it('anomalyKey rolls the date at UTC midnight', () => {
    expect(anomalyKey(P, Date.UTC(2024, 4, 8, 23, 59), 'x')).toContain('/date=2024-05-08/2359-x.json');
    expect(anomalyKey(P, Date.UTC(2024, 4, 9, 0, 0), 'x')).toContain('/date=2024-05-09/0000-x.json');
  });

  it('windowFeaturesKey is deterministic, per partition and minute', () => {
    expect(windowFeaturesKey(P, W)).toBe('windows/partition=checkout%23eu-west-1/date=2024-05-08/1230.json');
    expect(windowFeaturesKey(P, W)).toBe(windowFeaturesKey(P, W));
    expect(windowFeaturesKey(P, W)).not.toBe(windowFeaturesKey(P, W + 60_000));
    expect(windowFeaturesKey(P, W)).not.toBe(windowFeaturesKey(P_SEG, W));
  });

  it('windowBatchKey names a gzip JSON-lines batch', () => {
    expect(windowBatchKey(P, '2024-05-08', 'history-1')).toBe('windows/partition=checkout%23eu-west-1/date=2024-05-08/batch-history-1.jsonl.gz');
  });

  it('windowsPrefix and catalogueKey', () => {
    expect(windowsPrefix(P)).toBe('windows/partition=checkout%23eu-west-1/');
    expect(catalogueKey(P)).toBe('catalogue/partition=checkout%23eu-west-1/catalogue.json');
  });

  it('URL-encodes the # in partitions (and anything else unsafe), never leaving a raw #', () => {
    const weird = 'svc name#eu-west-1#a/b?c';
    const enc = encodeURIComponent(weird);
    const keys = [
      anomalyKey(weird, W, 'id'),
      windowFeaturesKey(weird, W),
      windowBatchKey(weird, '2024-05-08', 'n'),
      windowsPrefix(weird),
      catalogueKey(weird),
    ];
    for (const k of keys) {
      expect(k).not.toContain('#');
      expect(k).toContain(`partition=${enc}/`);
      // The partition is exactly one path segment.
      expect(k).not.toContain('a/b');
    }
    expect(enc).toBe('svc%20name%23eu-west-1%23a%2Fb%3Fc');
  });

  it('windowFeaturesKey and windowBatchKey both live under windowsPrefix(partition)', () => {
    for (const p of [P, P_SEG, 'auth#us-east-1']) {
      const prefix = windowsPrefix(p);
      expect(windowFeaturesKey(p, W).startsWith(prefix)).toBe(true);
      expect(windowBatchKey(p, '2024-05-08', 'x').startsWith(prefix)).toBe(true);
    }
  });

  it("a partition's prefix does not capture a segmented partition that extends it", () => {
    // checkout#eu-west-1 must not list checkout#eu-west-1#blue's windows.
    expect(windowFeaturesKey(P_SEG, W).startsWith(windowsPrefix(P))).toBe(false);
    expect(windowBatchKey(P_SEG, '2024-05-08', 'x').startsWith(windowsPrefix(P))).toBe(false);
  });
});

describe('shared constants', () => {
  it('environment variable names are distinct and HARBINGER_-prefixed', () => {
    const names = Object.values(ENV);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^HARBINGER_[A-Z_]+$/);
  });

  it('event detail-types and stream defaults', () => {
    expect(EVENTS.source).toBe('harbinger');
    expect(new Set(Object.values(EVENTS)).size).toBe(Object.values(EVENTS).length);
    expect(STREAM_DEFAULTS.shards).toBeGreaterThanOrEqual(2);
    expect(TABLE_SCHEMA.partitionKey).toBe('pk');
    expect(TABLE_SCHEMA.sortKey).toBe('sk');
  });
});

describe('model keys', () => {
  it('trainingPrefix and thresholdsKey are stable and encode the partition', () => {
    expect(trainingPrefix('harbinger-vae-20261116-150000')).toBe('training/harbinger-vae-20261116-150000/');
    expect(thresholdsKey(P, 'harbinger-vae-1')).toBe('thresholds/partition=checkout%23eu-west-1/harbinger-vae-1.json');
    expect(thresholdsKey(P_SEG, 'v')).not.toBe(thresholdsKey(P, 'v'));
    expect(scenarioRunPrefix('error-burst-20261116T1530')).toBe('scenario-runs/error-burst-20261116T1530/');
  });
});
