/**
 * The remediation rules on the embedded runtime: the local bus (LocalAlertSink) delivers each
 * event that matches a rule's pattern to the same handleRemediationEvent the remediation Lambda
 * runs; the `capacity-now` action runs the local capacity function at once.
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RemediationStore } from '../../functions/adapters/remediation-store';
import { matchesPattern, REMEDIATION_RULES, RESOLUTION_PATTERN, ruleOutcomes, triggerPattern, type RuleOutcomes } from '../../functions/core/remediation';
import type { ResourceNames } from '../../functions/core/resources';
import { handleRemediationEvent, type ActionPort } from '../../functions/remediation/remediate';
import type { AlertEnvelope, LocalAlertSink } from './alert-sink';
import type { LocalCapacity } from './capacity';
import type { LocalClients } from './clients';

/** Options of {@link attachLocalRemediation}. */
export interface LocalRemediationOptions {
  sink: LocalAlertSink;
  clients: LocalClients;
  names: ResourceNames;
  /** The local capacity function (`capacity-now`). */
  capacity: LocalCapacity;
  print?: (line: string) => void;
}

/** The attached rules: their outcomes so far. */
export interface LocalRemediation {
  store: RemediationStore;
  outcomes(now: number): Promise<RuleOutcomes[]>;
}

const hhmm = (t: number): string => `${new Date(t).toISOString().slice(11, 16)}Z`;

/** Subscribes the remediation rules to the local bus. */
export function attachLocalRemediation(options: LocalRemediationOptions): LocalRemediation {
  const store = new RemediationStore({ client: DynamoDBDocumentClient.from(options.clients.dynamodb), table: options.names.table });
  const actions: ActionPort = {
    async run(action, context) {
      if (action !== 'capacity-now') throw new Error(`unknown remediation action "${action as string}"`);
      const report = await options.capacity.tick(context.time, { force: true });
      const d = report?.decisions[0];
      return d ? `capacity run: shards ${d.current} -> ${d.target} (${d.outcome})` : 'capacity run: no decision';
    },
  };
  const patterns = [...REMEDIATION_RULES.map(triggerPattern), RESOLUTION_PATTERN];
  options.sink.subscribe(async (envelope: AlertEnvelope) => {
    if (!patterns.some((p) => matchesPattern(p, envelope))) return;
    const r = await handleRemediationEvent(envelope, { store, actions });
    for (const a of r.started) options.print?.(`  REMEDIATION ${hhmm(a.firedAt)} ${a.ruleId} on ${a.partition}: ${a.status === 'action_failed' ? 'FAILED ' : ''}${a.actionResult ?? ''}`);
    for (const a of r.settled) options.print?.(`  REMEDIATION ${a.ruleId} on ${a.partition}: ${a.status === 'cleared' ? `cleared after ${a.minutesToClear?.toFixed(0)} min` : 'not cleared in time'}`);
  });
  return {
    store,
    async outcomes(now: number) {
      const attempts = (await Promise.all(REMEDIATION_RULES.map((r) => store.list(r.id)))).flat();
      return ruleOutcomes(attempts, now);
    },
  };
}
