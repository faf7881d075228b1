import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../functions/core/circuit-breaker';

function clock(start = 0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('CircuitBreaker', () => {
  it('stays closed below the failure threshold and resets on success', () => {
    const b = new CircuitBreaker({ clock: clock().now });
    b.recordFailure();
    b.recordFailure();
    expect(b.state).toBe('closed');
    expect(b.allowRequest()).toBe(true);
    b.recordSuccess();
    expect(b.consecutiveFailures).toBe(0);
    b.recordFailure();
    b.recordFailure();
    expect(b.state).toBe('closed');
  });

  it('opens after 3 consecutive failures (default) and refuses calls during the cool-down', () => {
    const c = clock(1_000);
    const b = new CircuitBreaker({ clock: c.now });
    for (let i = 0; i < 3; i++) {
      expect(b.allowRequest()).toBe(true);
      b.recordFailure();
    }
    expect(b.state).toBe('open');
    expect(b.allowRequest()).toBe(false);
    c.advance(59_999);
    expect(b.allowRequest()).toBe(false);
  });

  it('lets exactly one trial through after the cool-down (60 s default), then closes on success', () => {
    const c = clock();
    const b = new CircuitBreaker({ clock: c.now });
    for (let i = 0; i < 3; i++) b.recordFailure();
    c.advance(60_000);
    expect(b.state).toBe('half-open');
    expect(b.allowRequest()).toBe(true);
    expect(b.allowRequest()).toBe(false); // the trial is in flight
    b.recordSuccess();
    expect(b.state).toBe('closed');
    expect(b.allowRequest()).toBe(true);
  });

  it('re-opens when the trial fails and waits a full cool-down again', () => {
    const c = clock();
    const b = new CircuitBreaker({ failureThreshold: 2, coolDownMs: 1_000, clock: c.now });
    b.recordFailure();
    b.recordFailure();
    expect(b.state).toBe('open');
    c.advance(1_000);
    expect(b.allowRequest()).toBe(true);
    b.recordFailure();
    expect(b.state).toBe('open');
    expect(b.allowRequest()).toBe(false);
    c.advance(999);
    expect(b.allowRequest()).toBe(false);
    c.advance(1);
    expect(b.allowRequest()).toBe(true);
  });
});
