import { describe, expect, it } from 'vitest';
import {
  matchesPattern,
  REMEDIATION_RULES,
  RESOLUTION_PATTERN,
  ruleOutcomes,
  settleAttempt,
  startAttempt,
  statusAt,
  triggerPattern,
} from '../../functions/core/remediation';
import { EVENTS } from '../../functions/core/resources';

const rule = REMEDIATION_RULES.find((r) => r.id === 'volume-surge-capacity')!;
const T = Date.UTC(2026, 10, 16, 15, 0);
const incident = { id: 'inc1', partition: 'gateway#us-east-1', kind: 'volume_spike' as const };
const detected = (detail: object) => ({ source: EVENTS.source, 'detail-type': EVENTS.anomalyDetected, detail });

describe('remediation rules', () => {
  it('a volume surge opening or escalating matches; other kinds, resolutions and other sources do not', () => {
    const p = triggerPattern(rule);
    expect(matchesPattern(p, detected({ kind: 'volume_spike', change: 'opened', incident }))).toBe(true);
    expect(matchesPattern(p, detected({ kind: 'volume_spike', change: 'escalated', incident }))).toBe(true);
    expect(matchesPattern(p, detected({ kind: 'error_spike', change: 'opened', incident }))).toBe(false);
    expect(matchesPattern(p, detected({ kind: 'volume_spike', incident }))).toBe(false);
    expect(matchesPattern(p, { ...detected({ kind: 'volume_spike', change: 'opened' }), source: 'other' })).toBe(false);
    expect(matchesPattern(RESOLUTION_PATTERN, { source: EVENTS.source, 'detail-type': EVENTS.anomalyResolved, detail: { incident } })).toBe(true);
    expect(matchesPattern(RESOLUTION_PATTERN, detected({ kind: 'volume_spike', change: 'opened' }))).toBe(false);
  });

  it('an attempt clears when its incident resolves within the rule time, not after', () => {
    const a = startAttempt(rule, incident, T);
    expect(a.deadline).toBe(T + 15 * 60_000);
    const cleared = settleAttempt(a, T + 6 * 60_000);
    expect(cleared).toMatchObject({ status: 'cleared', minutesToClear: 6 });
    expect(settleAttempt(a, T + 16 * 60_000).status).toBe('not_cleared');
    // Settled once: a late duplicate resolution changes nothing.
    expect(settleAttempt(cleared, T + 20 * 60_000)).toBe(cleared);
    expect(statusAt(a, T + 10 * 60_000)).toBe('pending');
    expect(statusAt(a, T + 16 * 60_000)).toBe('not_cleared');
  });

  it('success rate per rule counts settled attempts only, failed actions as failures', () => {
    const mk = (id: string, at: number) => startAttempt(rule, { ...incident, id }, at);
    const attempts = [
      settleAttempt(mk('a', T), T + 4 * 60_000),
      settleAttempt(mk('b', T), T + 8 * 60_000),
      settleAttempt(mk('c', T), T + 30 * 60_000),
      { ...mk('d', T), status: 'action_failed' as const },
      mk('e', T + 60 * 60_000),
    ];
    const [o] = ruleOutcomes(attempts, T + 61 * 60_000);
    expect(o).toMatchObject({ ruleId: rule.id, attempts: 5, cleared: 2, notCleared: 1, actionFailed: 1, pending: 1, medianMinutesToClear: 6 });
    expect(o.successRate).toBeCloseTo(2 / 4, 9);
    expect(ruleOutcomes([], T)[0]).toMatchObject({ attempts: 0, successRate: null });
  });
});
