/**
 * CheckEndpoint: the endpoint's status after a deployment, with one more check counted (the state
 * machine stops waiting after MAX_ENDPOINT_CHECKS). An endpoint that is InService but runs another
 * endpoint config after an update has rolled back: that is a failure of this deployment.
 */
import type { ModelHosting } from './hosting';
import type { EndpointDeployment, EndpointStatusEvent } from './types';

/** Statuses this deployment cannot recover from by waiting. */
const TERMINAL_BAD: ReadonlySet<string> = new Set(['Failed', 'UpdateRollbackFailed', 'OutOfService', 'Deleting']);

/** What {@link checkEndpoint} needs. */
export interface EndpointStatusDeps {
  hosting: ModelHosting;
}

/** The deployment with its current status. */
export async function checkEndpoint(event: EndpointStatusEvent, deps: EndpointStatusDeps): Promise<EndpointDeployment> {
  const d = event.deployment;
  const s = await deps.hosting.status(d.endpointName);
  let status = s.status;
  let failureReason = s.failureReason;
  if (status === 'InService' && s.endpointConfigName !== null && s.endpointConfigName !== d.endpointConfigName) {
    status = 'Failed';
    failureReason = `Endpoint ${d.endpointName} is InService with ${s.endpointConfigName}, not ${d.endpointConfigName}: the update rolled back${s.failureReason ? ` (${s.failureReason})` : ''}.`;
  } else if (status === 'Missing') {
    status = 'Failed';
    failureReason = `Endpoint ${d.endpointName} does not exist (deleted during the deployment?).`;
  } else if (TERMINAL_BAD.has(status)) {
    failureReason = `Endpoint ${d.endpointName} is ${status}${s.failureReason ? `: ${s.failureReason}` : ''}`;
    status = 'Failed';
  }
  return { ...d, status, failureReason, checks: d.checks + 1 };
}
