import { describe, expect, it } from 'vitest';
import { emptyWindowFeatures } from '../../functions/core/features';
import { stableHash } from '../../functions/core/hash';
import { MAX_PROFILE_BYTES, buildProfile, expectedFor, profileSizeBytes, slotOf, validateProfile } from '../../functions/core/profile';
import { FEATURE_NAMES } from '../../functions/core/types';
import type { WindowFeatures } from '../../functions/core/types';
import { DAY, HOUR, MINUTE, T0, genWindows, trainProfile } from './core-fixtures';

/** Windows whose count encodes the hour of week, so slot selection is visible. */
function hourlyWindows(days: number, perHour = 60): WindowFeatures[] {
  const out: WindowFeatures[] = [];
  for (let m = 0; m < days * 24 * 60; m++) {
    const t = T0 + m * MINUTE;
    if (m % 60 >= perHour) continue;
    const w = emptyWindowFeatures('svc#eu', t);
    w.features.count = 1000 + slotOf(t);
    w.features.latencyP50 = 100;
    out.push(w);
  }
  return out;
}

describe('buildProfile', () => {
  it('computes global and 168 seasonal slots (UTC hour of week)', () => {
    const p = buildProfile({ partition: 'svc#eu', windows: hourlyWindows(7), templates: [], version: 1, builtAt: T0 });
    expect(p.trainingWindows).toBe(7 * 1440);
    expect(p.sensitivity).toBe(0.95);
    for (const f of FEATURE_NAMES) expect(p.seasonal[f]).toHaveLength(168);
    // T0 is a Monday: slot = 1 * 24 + hour.
    expect(slotOf(T0)).toBe(24);
    expect(slotOf(T0 + 6 * DAY + 23 * HOUR)).toBe(23); // Sunday 23:00
    expect(p.seasonal.count[24]?.median).toBe(1024);
    expect(p.seasonal.count[24]?.n).toBe(60);
    expect(p.global.count.median).toBeGreaterThan(1000);
  });

  it('nulls slots with too few windows and fills gaps as zero-volume windows only when asked', () => {
    const sparse = hourlyWindows(7, 3); // 3 windows per hour
    const noFill = buildProfile({ partition: 'svc#eu', windows: sparse, templates: [], version: 1, builtAt: T0, fillGaps: false });
    expect(noFill.seasonal.count.every((s) => s === null)).toBe(true);
    expect(noFill.trainingWindows).toBe(sparse.length);
    const filled = buildProfile({ partition: 'svc#eu', windows: sparse, templates: [], version: 1, builtAt: T0 });
    expect(filled.seasonal.count[30]?.median).toBe(0); // mostly silent minutes
    // Latency is left out of silent windows, so its stats only see real observations.
    expect(filled.seasonal.latencyP50[30]).toBeNull();
    expect(filled.global.latencyP50.median).toBe(100);
  });

  it('expectedFor uses the slot, then same-day neighbours, then global', () => {
    const p = buildProfile({ partition: 'svc#eu', windows: hourlyWindows(7), templates: [], version: 1, builtAt: T0 });
    const ts = T0 + 7 * DAY + 10 * HOUR + 5 * MINUTE; // next Monday 10:05
    expect(expectedFor(p, 'count', ts).median).toBe(1034);
    p.seasonal.count[34] = null;
    expect(expectedFor(p, 'count', ts).median).toBe(1034); // blend of 33 and 35
    p.seasonal.count[33] = null;
    expect(expectedFor(p, 'count', ts).median).toBe(1035);
    p.seasonal.count[35] = null;
    expect(expectedFor(p, 'count', ts)).toEqual(p.global.count);
    // Midnight: neighbours on the same day only (hour 1).
    p.seasonal.count[24] = null;
    expect(expectedFor(p, 'count', T0 + 7 * DAY).median).toBe(1025);
  });

  it('keeps templates sorted by share and the profile under 350 KB with 5,000 templates', () => {
    const templates = Array.from({ length: 5000 }, (_, i) => ({
      id: stableHash(`t${i}`),
      template: `service call ${i} to <*> returned <*> after <*> ms with payload <*> and trace <*> for tenant <*> region <*>`,
      count: 10 + ((i * 7919) % 5000),
      level: 'INFO' as const,
    }));
    const p = buildProfile({ partition: 'svc#eu', windows: genWindows(2, T0, 7 * 1440, { base: 20 }), templates, version: 2, builtAt: T0 });
    const size = profileSizeBytes(p);
    expect(size).toBeLessThan(MAX_PROFILE_BYTES);
    expect(size).toBeGreaterThan(MAX_PROFILE_BYTES - 2000); // filled up to the limit
    expect(p.templates.length).toBeGreaterThan(100);
    expect(p.templates.length).toBeLessThan(5000);
    for (let i = 1; i < p.templates.length; i++) expect(p.templates[i - 1].share).toBeGreaterThanOrEqual(p.templates[i].share);
    const maxCount = Math.max(...templates.map((t) => t.count));
    expect(p.templates[0].id).toBe(templates.find((t) => t.count === maxCount)?.id);
    expect(validateProfile(JSON.parse(JSON.stringify(p)))).toEqual(p);
  });
});

describe('validateProfile', () => {
  const { profile } = trainProfile(1, { base: 10 }, 7);
  it('accepts a built profile after a JSON round trip', () => {
    expect(validateProfile(JSON.parse(JSON.stringify(profile)))).toEqual(profile);
  });

  it('rejects malformed items with a clear message', () => {
    expect(() => validateProfile(null)).toThrow(/Invalid profile/);
    const bad = JSON.parse(JSON.stringify(profile));
    bad.seasonal.count = bad.seasonal.count.slice(0, 10);
    delete bad.global.errorRate;
    expect(() => validateProfile(bad)).toThrow(/checkout#eu-west-1.*seasonal\.count/);
    expect(() => validateProfile({ ...profile, schemaVersion: 2 })).toThrow(/schemaVersion/);
  });
});
