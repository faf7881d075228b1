/**
 * {@link ModelHosting} on SageMaker: a model per training job (the training image serves too),
 * a serverless endpoint config per job, and one long-lived endpoint that is created once and
 * updated to each promoted model's config. Every call is idempotent (names come from the job).
 */
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  UpdateEndpointCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { SERVERLESS_DEFAULTS } from '../core/resources';
import type { HostingDeployRequest, HostingDeployResult, HostingStatus, ModelHosting } from './hosting';

/** Serverless inference settings. */
export interface ServerlessSettings {
  /** 1024..6144 in steps of 1024. Default {@link SERVERLESS_DEFAULTS} (3072: the VAE and its calibration fit easily). */
  memorySizeInMB?: number;
  /** Default {@link SERVERLESS_DEFAULTS} (5). */
  maxConcurrency?: number;
}

/** Options of {@link SageMakerHosting}. */
export interface SageMakerHostingOptions {
  client: SageMakerClient;
  serverless?: ServerlessSettings;
}

/** SageMaker's "not found" is a ValidationException with a message; match it (and ResourceNotFound). */
export function isSageMakerNotFound(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'ResourceNotFound' || err.name === 'ResourceNotFoundException') return true;
  return err.name === 'ValidationException' && /could not find|does not exist|not found/i.test(err.message);
}

/** An "already exists" error from a Create call that lost a race with a retry of itself. */
function isAlreadyExists(err: unknown): boolean {
  return err instanceof Error && err.name === 'ValidationException' && /already exist/i.test(err.message);
}

/** Models, endpoint configs and endpoints through the SageMaker API. */
export class SageMakerHosting implements ModelHosting {
  private readonly client: SageMakerClient;
  private readonly memory: number;
  private readonly concurrency: number;

  constructor(options: SageMakerHostingOptions) {
    this.client = options.client;
    this.memory = options.serverless?.memorySizeInMB ?? SERVERLESS_DEFAULTS.memoryMb;
    this.concurrency = options.serverless?.maxConcurrency ?? SERVERLESS_DEFAULTS.maxConcurrency;
  }

  async deploy(r: HostingDeployRequest): Promise<HostingDeployResult> {
    await this.ensure(
      () => this.client.send(new DescribeModelCommand({ ModelName: r.modelName })),
      () =>
        this.client.send(
          new CreateModelCommand({
            ModelName: r.modelName,
            ExecutionRoleArn: r.roleArn,
            PrimaryContainer: { Image: r.image, ModelDataUrl: r.modelDataUrl, Mode: 'SingleModel' },
          }),
        ),
    );
    await this.ensure(
      () => this.client.send(new DescribeEndpointConfigCommand({ EndpointConfigName: r.endpointConfigName })),
      () =>
        this.client.send(
          new CreateEndpointConfigCommand({
            EndpointConfigName: r.endpointConfigName,
            ProductionVariants: [
              { VariantName: 'AllTraffic', ModelName: r.modelName, ServerlessConfig: { MemorySizeInMB: this.memory, MaxConcurrency: this.concurrency } },
            ],
          }),
        ),
    );
    const current = await this.status(r.endpointName);
    if (current.status === 'Missing') {
      await this.client.send(new CreateEndpointCommand({ EndpointName: r.endpointName, EndpointConfigName: r.endpointConfigName }));
      return { action: 'created', status: 'Creating' };
    }
    if (current.endpointConfigName === r.endpointConfigName) return { action: 'unchanged', status: current.status };
    await this.client.send(new UpdateEndpointCommand({ EndpointName: r.endpointName, EndpointConfigName: r.endpointConfigName }));
    return { action: 'updated', status: 'Updating' };
  }

  async status(endpointName: string): Promise<HostingStatus> {
    try {
      const d = await this.client.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
      return { status: d.EndpointStatus ?? 'Unknown', endpointConfigName: d.EndpointConfigName ?? null, failureReason: d.FailureReason ?? null };
    } catch (err) {
      if (isSageMakerNotFound(err)) return { status: 'Missing', endpointConfigName: null, failureReason: null };
      throw err;
    }
  }

  /** Describe; create when absent (a concurrent create by a retried step counts as success). */
  private async ensure(describe: () => Promise<unknown>, create: () => Promise<unknown>): Promise<void> {
    try {
      await describe();
      return;
    } catch (err) {
      if (!isSageMakerNotFound(err)) throw err;
    }
    try {
      await create();
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
}
