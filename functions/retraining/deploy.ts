/**
 * DeployModel: puts a promoted model behind the champion endpoint (create it the first time,
 * update it afterwards). Model and endpoint config names derive from the job name, so a retried
 * step does nothing twice.
 */
import type { ModelHosting } from './hosting';
import type { DeployEvent, EndpointDeployment } from './types';

/** What {@link deployModel} needs. */
export interface DeployDeps {
  hosting: ModelHosting;
  /** The champion endpoint's name (`resourceNames().modelEndpoint` by default on the stack). */
  endpointName: string;
}

/** The deploy input is incomplete. */
export class DeployInputError extends Error {
  override readonly name = 'DeployInputError';
}

/** Model and endpoint config names of a job (SageMaker names: at most 63 characters). */
export function deploymentNames(jobName: string): { modelName: string; endpointConfigName: string } {
  const base = jobName.slice(0, 52);
  return { modelName: base, endpointConfigName: `${base}-serverless` };
}

/**
 * Deploys the job's model to the endpoint.
 * @throws DeployInputError when the training job reported no model artifact
 */
export async function deployModel(event: DeployEvent, deps: DeployDeps): Promise<EndpointDeployment> {
  if (!event.modelDataUrl) throw new DeployInputError(`Training job ${event.jobName} reported no ModelArtifacts.S3ModelArtifacts: nothing to deploy.`);
  const names = deploymentNames(event.jobName);
  const result = await deps.hosting.deploy({
    endpointName: deps.endpointName,
    ...names,
    modelDataUrl: event.modelDataUrl,
    image: event.image,
    roleArn: event.roleArn,
  });
  return {
    endpointName: deps.endpointName,
    ...names,
    modelDataUrl: event.modelDataUrl,
    action: result.action,
    status: result.status,
    checks: 0,
    failureReason: null,
  };
}
