/**
 * The embedded default's "stack": emulators up, the process environment pointed at them the way the
 * CDK stack points each function at its resources, and the stream, table and buckets created with
 * the stack's names. Used by the demo, the integration tests and the benchmarks.
 */
import { startEmulators, type Emulators } from './emulators';
import { localClients, type LocalClients } from './clients';
import { provision } from './provision';
import { ENV, resourceNames, STREAM_DEFAULTS, type ResourceNames } from '../../functions/core/resources';
import { resetAwsClients } from '../../functions/adapters/clients';

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** Where emulator data goes (S3 objects). Default: a temporary folder. */
  dataDir?: string;
  /** Kinesis shards (at least 2). Default {@link STREAM_DEFAULTS}.shards. */
  shards?: number;
  /** Extra environment for the handlers (e.g. POWERTOOLS_LOG_LEVEL). */
  env?: Record<string, string>;
}

/** A running local stack. */
export interface LocalStack {
  emulators: Emulators;
  names: ResourceNames;
  clients: LocalClients;
  /** Wall time of start-up, ms. */
  startupMs: number;
  /** Stops the emulators and restores the process environment as it was. */
  stop(): Promise<void>;
}

/** The handler environment for the local resources: the same variables the CDK stack sets. */
export function localHandlerEnv(names: ResourceNames): Record<string, string> {
  return {
    [ENV.table]: names.table,
    [ENV.anomalyBucket]: names.anomalyBucket,
    [ENV.datasetBucket]: names.datasetBucket,
    [ENV.modelBucket]: names.modelBucket,
    [ENV.eventBus]: names.eventBus,
    [ENV.defaultRegion]: 'us-east-1',
    // EMF metrics go to stdout on Lambda for CloudWatch to pick up; locally they would be noise.
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
}

/** Starts the emulators, points the process at them, and provisions the resources. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const t0 = Date.now();
  const emulators = await startEmulators({ dataDir: options.dataDir });
  const saved = { ...process.env };
  const names = resourceNames();
  const restore = (): void => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    resetAwsClients();
  };
  try {
    Object.assign(process.env, emulators.env, localHandlerEnv(names), options.env ?? {});
    resetAwsClients();
    const clients = localClients(emulators.endpoints);
    await provision(clients, names, { shards: options.shards ?? STREAM_DEFAULTS.shards });
    return {
      emulators,
      names,
      clients,
      startupMs: Date.now() - t0,
      stop: async () => {
        await emulators.stop();
        restore();
      },
    };
  } catch (err) {
    await emulators.stop();
    restore();
    throw err;
  }
}
