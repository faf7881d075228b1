/**
 * The remediation panel's data (GET /api/remediation): every rule (core/remediation
 * REMEDIATION_RULES) with its outcomes (ruleOutcomes) at the dashboard's notion of "now", and the
 * recent attempts, read from the state table through RemediationStore.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RemediationStore } from '../../../functions/adapters/remediation-store';
import {
  REMEDIATION_RULES,
  ruleOutcomes,
  statusAt,
  type AttemptStatus,
  type RemediationAttempt,
  type RemediationRule,
  type RuleOutcomes,
} from '../../../functions/core/remediation';

/** Where the dashboard's "now" came from: the demo's simulated minutes, the newest alert, or the wall clock. */
export type ClockSource = 'simulated-clock' | 'alerts' | 'wall-clock';

/** A rule with its outcomes. */
export type RuleView = Pick<RemediationRule, 'id' | 'description' | 'kinds' | 'changes' | 'action' | 'clearWithinMinutes'> & Omit<RuleOutcomes, 'ruleId'>;

/** An attempt with its status at `asOf` (a pending attempt past its deadline reads not_cleared). */
export type AttemptView = RemediationAttempt & { statusNow: AttemptStatus };

/** GET /api/remediation. */
export interface RemediationResponse {
  /** The time the outcomes are evaluated at, epoch ms, and where it came from. */
  asOf: number;
  asOfSource: ClockSource;
  rules: RuleView[];
  /** Newest first, at most `limit`. */
  recent: AttemptView[];
}

/** Reads remediation attempts for the dashboard. */
export class DashboardRemediation {
  private readonly store: RemediationStore;

  constructor(
    options: { dynamodb: DynamoDBDocumentClient; table: string },
    private readonly rules: readonly RemediationRule[] = REMEDIATION_RULES,
  ) {
    this.store = new RemediationStore({ client: options.dynamodb, table: options.table });
  }

  /** Every rule's outcomes at `asOf` and the newest `limit` attempts. */
  async view(asOf: number, asOfSource: ClockSource, limit = 20): Promise<RemediationResponse> {
    const attempts = (await Promise.all(this.rules.map((r) => this.store.list(r.id)))).flat();
    const outcomes = new Map(ruleOutcomes(attempts, asOf, this.rules).map((o) => [o.ruleId, o]));
    const rules = this.rules.map((r): RuleView => {
      const { ruleId: _, ...o } = outcomes.get(r.id)!;
      return { id: r.id, description: r.description, kinds: r.kinds, changes: r.changes, action: r.action, clearWithinMinutes: r.clearWithinMinutes, ...o };
    });
    const recent = attempts
      .sort((a, b) => b.firedAt - a.firedAt || a.incidentId.localeCompare(b.incidentId))
      .slice(0, limit)
      .map((a) => ({ ...a, statusNow: statusAt(a, asOf) }));
    return { asOf, asOfSource, rules, recent };
  }
}
