/**
 * A circuit breaker for calls to a remote dependency (the model endpoint): closed -> open after
 * N consecutive failures -> half-open after a cool-down -> one trial call, which closes the
 * circuit on success or opens it again on failure. Pure: no timers, time comes from a clock.
 */

/** The breaker's state. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Options of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (default 3). */
  failureThreshold?: number;
  /** Time the circuit stays open before one trial call is let through, ms (default 60 000). */
  coolDownMs?: number;
  /** Epoch-ms clock (default Date.now); inject one to test or to run on a simulated clock. */
  clock?: () => number;
}

/** Default consecutive failures before the circuit opens. */
export const DEFAULT_FAILURE_THRESHOLD = 3;
/** Default cool-down before a trial call, ms. */
export const DEFAULT_COOL_DOWN_MS = 60_000;

/**
 * Counts consecutive failures and decides whether the next call may go out.
 *
 * Usage: `if (breaker.allowRequest()) { try { await call(); breaker.recordSuccess(); } catch { breaker.recordFailure(); } }`.
 * While half-open exactly one trial is in flight; other callers are refused until it reports.
 */
export class CircuitBreaker {
  private stateValue: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private readonly threshold: number;
  private readonly coolDownMs: number;
  private readonly clock: () => number;

  constructor(options: CircuitBreakerOptions = {}) {
    this.threshold = Math.max(1, Math.floor(options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD));
    this.coolDownMs = Math.max(0, options.coolDownMs ?? DEFAULT_COOL_DOWN_MS);
    this.clock = options.clock ?? Date.now;
  }

  /** The current state (an open circuit whose cool-down has elapsed reads as half-open). */
  get state(): CircuitState {
    if (this.stateValue === 'open' && this.clock() - this.openedAt >= this.coolDownMs) return 'half-open';
    return this.stateValue;
  }

  /** Consecutive failures counted since the last success. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /**
   * Whether a call may go out now. Closed: yes. Open: no, until the cool-down has elapsed; then the
   * circuit turns half-open and this returns true once (the trial call).
   */
  allowRequest(): boolean {
    if (this.stateValue === 'closed') return true;
    if (this.stateValue === 'open') {
      if (this.clock() - this.openedAt < this.coolDownMs) return false;
      this.stateValue = 'half-open';
      this.trialInFlight = false;
    }
    if (this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  /** Reports a successful call: the circuit closes and the failure count resets. */
  recordSuccess(): void {
    this.stateValue = 'closed';
    this.failures = 0;
    this.trialInFlight = false;
  }

  /** Reports a failed call: a failed trial re-opens the circuit; the N-th consecutive failure opens it. */
  recordFailure(): void {
    this.failures++;
    this.trialInFlight = false;
    if (this.stateValue === 'half-open' || this.failures >= this.threshold) {
      this.stateValue = 'open';
      this.openedAt = this.clock();
    }
  }
}
