/**
 * Dependencies of the scenario function built from the environment the ScenarioRunner construct
 * sets (and the embedded runtime sets on the process): the synthetic and anomaly buckets, the
 * stream, the bus, the allowed lateness.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { EventBridgeAlertPublisher } from '../adapters/alert-publisher';
import { awsClients, requireEnv } from '../adapters/clients';
import { ObjectStore } from '../adapters/object-store';
import { KinesisRecordStream } from '../adapters/record-stream';
import { ENV, SCENARIO_ENV } from '../core/resources';
import type { DirectDeps } from './direct';
import type { ReportDeps } from './report';

/** Everything the steps need. */
export type ScenarioDeps = DirectDeps & ReportDeps;

/** The pipeline's allowed lateness, ms (the window closer's own default: 120 s). */
export function latenessMsFromEnv(): number {
  const sec = Number(process.env[ENV.allowedLatenessSec] ?? 120);
  return (Number.isFinite(sec) && sec >= 0 ? sec : 120) * 1000;
}

/**
 * HARBINGER_SYNTHETIC_BUCKET, HARBINGER_ANOMALY_BUCKET, HARBINGER_STREAM, HARBINGER_EVENT_BUS;
 * HARBINGER_ALLOWED_LATENESS_SEC (optional).
 */
export function scenarioDepsFromEnv(): ScenarioDeps {
  const clients = awsClients();
  return {
    runs: new ObjectStore({ client: clients.s3, bucket: requireEnv(SCENARIO_ENV.syntheticBucket) }),
    anomalies: new ObjectStore({ client: clients.s3, bucket: requireEnv(ENV.anomalyBucket) }),
    stream: new KinesisRecordStream({ client: new KinesisClient({}), streamName: requireEnv(SCENARIO_ENV.stream) }),
    alerts: new EventBridgeAlertPublisher({ client: clients.eventbridge, busName: requireEnv(ENV.eventBus) }),
    latenessMs: latenessMsFromEnv(),
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}
