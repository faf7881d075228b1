/**
 * Remediation rules: an alert of a given kind triggers an action (e.g. a volume surge runs the
 * capacity function now instead of at its next scheduled run), and each attempt's outcome is
 * recorded: did the incident clear within the rule's time? Pure: one definition of the rules,
 * their EventBridge patterns (the CDK stack deploys them; the embedded runtime matches the same
 * patterns on its local bus), and the attempt bookkeeping.
 */
import { EVENTS } from './resources';
import type { Incident, IncidentChange } from './incidents';
import type { AnomalyKind } from './types';

/** What a rule can do. */
export type RemediationAction = 'capacity-now';

/** One rule: which alerts trigger which action, and how soon the incident should clear. */
export interface RemediationRule {
  /** Stable id (part of resource names and keys): lowercase letters, digits and hyphens. */
  id: string;
  description: string;
  /** Anomaly kinds that trigger it. */
  kinds: readonly AnomalyKind[];
  /** Alert changes that trigger it (an incident opening, or escalating). */
  changes: readonly Exclude<IncidentChange, 'resolved'>[];
  action: RemediationAction;
  /** The attempt succeeded when the incident resolved within this many minutes of the action. */
  clearWithinMinutes: number;
}

/** The deployed rules. */
export const REMEDIATION_RULES: readonly RemediationRule[] = [
  {
    id: 'volume-surge-capacity',
    description: 'A volume surge runs the capacity function now (forecast, shards, scorer memory) instead of at its next 5-minute run',
    kinds: ['volume_spike'],
    changes: ['opened', 'escalated'],
    action: 'capacity-now',
    clearWithinMinutes: 15,
  },
];

/** An EventBridge event pattern (the subset the rules use: lists of exact values). */
export interface EventPattern {
  source: string[];
  'detail-type': string[];
  detail?: Record<string, string[]>;
}

/** The pattern of a rule's trigger: "Log Anomaly Detected" of its kinds and changes. */
export function triggerPattern(rule: RemediationRule): EventPattern {
  return { source: [EVENTS.source], 'detail-type': [EVENTS.anomalyDetected], detail: { kind: [...rule.kinds], change: [...rule.changes] } };
}

/** The pattern of every incident resolution (settles attempts). */
export const RESOLUTION_PATTERN: EventPattern = { source: [EVENTS.source], 'detail-type': [EVENTS.anomalyResolved] };

/**
 * Whether an event matches a pattern, with EventBridge's semantics for exact-value lists: every
 * key of the pattern must be present with one of the listed values (top-level and one level into
 * `detail`).
 */
export function matchesPattern(pattern: EventPattern, event: { source: string; 'detail-type': string; detail: unknown }): boolean {
  if (!pattern.source.includes(event.source) || !pattern['detail-type'].includes(event['detail-type'])) return false;
  const detail = (event.detail ?? {}) as Record<string, unknown>;
  for (const [key, values] of Object.entries(pattern.detail ?? {})) {
    const v = detail[key];
    if (typeof v !== 'string' || !values.includes(v)) return false;
  }
  return true;
}

/** Where an attempt stands. */
export type AttemptStatus = 'pending' | 'cleared' | 'not_cleared' | 'action_failed';

/** One action taken for one incident by one rule. */
export interface RemediationAttempt {
  ruleId: string;
  action: RemediationAction;
  incidentId: string;
  partition: string;
  kind: AnomalyKind;
  /** Epoch ms the action was taken (the triggering event's time). */
  firedAt: number;
  /** firedAt + clearWithinMinutes. */
  deadline: number;
  status: AttemptStatus;
  /** What the action reported (e.g. the capacity decision), or why it failed. */
  actionResult?: string;
  resolvedAt?: number;
  /** Minutes from the action to the resolution, when it resolved. */
  minutesToClear?: number;
}

/** A new pending attempt for an alert's incident. */
export function startAttempt(rule: RemediationRule, incident: Pick<Incident, 'id' | 'partition' | 'kind'>, firedAt: number): RemediationAttempt {
  return {
    ruleId: rule.id,
    action: rule.action,
    incidentId: incident.id,
    partition: incident.partition,
    kind: incident.kind,
    firedAt,
    deadline: firedAt + rule.clearWithinMinutes * 60_000,
    status: 'pending',
  };
}

/**
 * Settles a pending attempt with its incident's resolution: cleared when it resolved by the
 * deadline, not cleared otherwise. A settled or failed attempt is returned unchanged.
 */
export function settleAttempt(attempt: RemediationAttempt, resolvedAt: number): RemediationAttempt {
  if (attempt.status !== 'pending') return attempt;
  const minutesToClear = Math.max(0, (resolvedAt - attempt.firedAt) / 60_000);
  return { ...attempt, status: resolvedAt <= attempt.deadline ? 'cleared' : 'not_cleared', resolvedAt, minutesToClear };
}

/** A pending attempt past its deadline counts as not cleared (its incident is still open). */
export function statusAt(attempt: RemediationAttempt, now: number): AttemptStatus {
  return attempt.status === 'pending' && now > attempt.deadline ? 'not_cleared' : attempt.status;
}

/** Outcomes of one rule. */
export interface RuleOutcomes {
  ruleId: string;
  attempts: number;
  cleared: number;
  notCleared: number;
  pending: number;
  actionFailed: number;
  /** cleared / (cleared + notCleared + actionFailed), or null before any attempt settled. */
  successRate: number | null;
  /** Median minutes to clear of the cleared attempts, or null. */
  medianMinutesToClear: number | null;
}

/** Success rate per rule at time `now` (every rule listed, with zero attempts if none). */
export function ruleOutcomes(attempts: readonly RemediationAttempt[], now: number, rules: readonly RemediationRule[] = REMEDIATION_RULES): RuleOutcomes[] {
  return rules.map((rule) => {
    const own = attempts.filter((a) => a.ruleId === rule.id);
    const status = own.map((a) => statusAt(a, now));
    const count = (s: AttemptStatus): number => status.filter((x) => x === s).length;
    const cleared = count('cleared');
    const notCleared = count('not_cleared');
    const actionFailed = count('action_failed');
    const settled = cleared + notCleared + actionFailed;
    const minutes = own.filter((a) => a.status === 'cleared' && a.minutesToClear !== undefined).map((a) => a.minutesToClear!).sort((x, y) => x - y);
    const median = minutes.length ? (minutes.length % 2 ? minutes[(minutes.length - 1) / 2] : (minutes[minutes.length / 2 - 1] + minutes[minutes.length / 2]) / 2) : null;
    return { ruleId: rule.id, attempts: own.length, cleared, notCleared, pending: count('pending'), actionFailed, successRate: settled ? cleared / settled : null, medianMinutesToClear: median };
  });
}
