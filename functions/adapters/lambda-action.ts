import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { RemediationAction } from '../core/remediation';
import type { ActionPort } from '../remediation/remediate';

/**
 * Remediation actions on AWS: `capacity-now` invokes the capacity function asynchronously with
 * `{"time": <the alert's time>}`, the same input its schedule sends.
 */
export class LambdaActionPort implements ActionPort {
  constructor(private readonly options: { client: LambdaClient; capacityFunction: string }) {}

  async run(action: RemediationAction, context: { partition: string; incidentId: string; time: number }): Promise<string> {
    if (action !== 'capacity-now') throw new Error(`unknown remediation action "${action as string}"`);
    const res = await this.options.client.send(
      new InvokeCommand({
        FunctionName: this.options.capacityFunction,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify({ time: new Date(context.time).toISOString() })),
      }),
    );
    if (res.StatusCode !== 202) throw new Error(`capacity function invoke answered ${res.StatusCode}${res.FunctionError ? ` (${res.FunctionError})` : ''}`);
    return `capacity function ${this.options.capacityFunction} invoked for ${context.partition}`;
  }
}
