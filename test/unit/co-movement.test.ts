import { describe, expect, it } from 'vitest';
import { buildProfile } from '../../functions/core/profile';
import { synthWindows } from '../../functions/core/synth/windows';
import { coMovementHint, movementsByMinute, strongestMovement } from '../../functions/core/co-movement';
import type { Profile, WindowFeatures } from '../../functions/core/types';

const PARTS = ['checkout#us-east-1', 'payments#us-east-1', 'gateway#us-east-1', 'auth#us-east-1'];
const all = synthWindows({ partitions: PARTS, days: 3, seed: 11 }).map((w) => ({ ...w, templates: {}, newTemplates: {}, samples: {} })) as WindowFeatures[];
const profiles = new Map<string, Profile>(
  PARTS.map((p) => [p, buildProfile({ partition: p, windows: all.filter((w) => w.partition === p), templates: [], version: 1, builtAt: 0 })]),
);
const lastDay = all[all.length - 1].windowStart - 86_400_000 / 2;
const at = (p: string, t: number): WindowFeatures => {
  const w = all.find((x) => x.partition === p && x.windowStart >= t);
  if (!w) throw new Error('no window');
  return { ...w, windowStart: t, features: { ...w.features } };
};

describe('partitions that moved at the same time', () => {
  const t = Math.floor(lastDay / 60_000) * 60_000;
  const errors = (w: WindowFeatures): WindowFeatures => {
    const errorCount = Math.round(w.features.count * 0.4);
    return { ...w, features: { ...w.features, errorCount, errorRate: errorCount / w.features.count } };
  };
  const windows = [errors(at(PARTS[0], t)), errors(at(PARTS[1], t)), at(PARTS[2], t), errors(at(PARTS[3], t + 10 * 60_000))];
  const index = movementsByMinute(windows.map((features) => ({ features, profile: profiles.get(features.partition)! })));

  it('finds the feature that moved, and only in partitions that moved', () => {
    expect(strongestMovement(windows[0], profiles.get(PARTS[0])!)?.feature).toBe('errorRate');
    expect(strongestMovement(windows[2], profiles.get(PARTS[2])!)).toBeNull();
  });

  it('names the other partitions of the same minute, not the quiet one nor a later one', () => {
    const hint = coMovementHint(PARTS[0], t, index);
    expect(hint).toMatch(/^moved at the same time: payments#us-east-1 errorRate 0\.4\d* \(usually /);
    expect(hint).not.toContain('gateway');
    expect(hint).not.toContain('auth');
    expect(hint).not.toContain('checkout');
  });

  it('says nothing when no other partition moved, and bounds the list', () => {
    expect(coMovementHint(PARTS[3], t + 10 * 60_000, index)).toBeNull();
    const many = movementsByMinute(PARTS.map((p) => ({ features: errors(at(p, t)), profile: profiles.get(p)! })));
    expect(coMovementHint(PARTS[0], t, many, { maxPartitions: 1 })).toMatch(/ and 2 more$/);
  });
});
