/**
 * Handles one event from the alert bus for the remediation rules: a matching "Log Anomaly
 * Detected" starts an attempt and runs the rule's action (once per incident), a "Log Anomaly
 * Resolved" settles the incident's pending attempts. The same code runs in the remediation Lambda
 * (EventBridge rules) and on the embedded runtime's local bus.
 */
import {
  matchesPattern,
  REMEDIATION_RULES,
  RESOLUTION_PATTERN,
  settleAttempt,
  startAttempt,
  triggerPattern,
  type RemediationAction,
  type RemediationAttempt,
  type RemediationRule,
} from '../core/remediation';
import type { Incident } from '../core/incidents';
import type { RemediationStore } from '../adapters/remediation-store';

/** An event as EventBridge delivers it to a rule target (the fields used). */
export interface BusEvent {
  source: string;
  'detail-type': string;
  /** ISO time of the event. */
  time?: string;
  detail: unknown;
}

/** Runs an action; resolves to a one-line description of what it did. */
export interface ActionPort {
  run(action: RemediationAction, context: { partition: string; incidentId: string; time: number }): Promise<string>;
}

/** What {@link handleRemediationEvent} uses. */
export interface RemediationDeps {
  store: RemediationStore;
  actions: ActionPort;
  rules?: readonly RemediationRule[];
  now?: () => number;
}

/** What one event did. */
export interface RemediationResult {
  started: RemediationAttempt[];
  settled: RemediationAttempt[];
}

/** The event is not one the rules deliver. */
export class RemediationEventError extends Error {
  override readonly name = 'RemediationEventError';
}

function incidentOf(detail: unknown): Incident {
  const incident = (detail as { incident?: Incident } | null)?.incident;
  if (!incident || typeof incident.id !== 'string' || typeof incident.partition !== 'string') {
    throw new RemediationEventError('the event detail has no incident ({id, partition, kind}): only Harbinger "Log Anomaly Detected/Resolved" events are handled');
  }
  return incident;
}

/**
 * Starts, runs and settles attempts for one event. Idempotent per (rule, incident): a re-delivered
 * or escalated alert does not run the action again, except to finish an attempt whose action never
 * reported (the previous try stopped between recording and acting).
 */
export async function handleRemediationEvent(event: BusEvent, deps: RemediationDeps): Promise<RemediationResult> {
  const rules = deps.rules ?? REMEDIATION_RULES;
  const parsed = event.time ? Date.parse(event.time) : NaN;
  const time = Number.isFinite(parsed) ? parsed : (deps.now ?? Date.now)();
  const result: RemediationResult = { started: [], settled: [] };

  if (matchesPattern(RESOLUTION_PATTERN, event)) {
    const incident = incidentOf(event.detail);
    for (const rule of rules) {
      const attempt = await deps.store.get(rule.id, incident.id);
      if (!attempt || attempt.status !== 'pending') continue;
      const settled = settleAttempt(attempt, incident.resolvedAt ?? time);
      await deps.store.update(settled);
      result.settled.push(settled);
    }
    return result;
  }

  for (const rule of rules) {
    if (!matchesPattern(triggerPattern(rule), event)) continue;
    const incident = incidentOf(event.detail);
    let attempt = startAttempt(rule, incident, time);
    if (!(await deps.store.start(attempt))) {
      const existing = await deps.store.get(rule.id, incident.id);
      if (!existing || existing.status !== 'pending' || existing.actionResult !== undefined) continue;
      attempt = existing;
    }
    try {
      attempt = { ...attempt, actionResult: await deps.actions.run(rule.action, { partition: incident.partition, incidentId: incident.id, time }) };
    } catch (err) {
      attempt = { ...attempt, status: 'action_failed', actionResult: `${(err as Error).name}: ${(err as Error).message}` };
    }
    await deps.store.update(attempt);
    result.started.push(attempt);
  }
  return result;
}
