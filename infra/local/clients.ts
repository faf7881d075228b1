import { Agent as HttpAgent } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Endpoints of the three local emulators (plain HTTP on 127.0.0.1). */
export interface LocalEndpoints {
  kinesis: string;
  dynamodb: string;
  s3: string;
}

/** The real AWS SDK v3 clients, pointed at the emulators. */
export interface LocalClients {
  kinesis: KinesisClient;
  dynamodb: DynamoDBClient;
  s3: S3Client;
}

/** Options for {@link localClients}. */
export interface LocalClientOptions {
  /** Region used for signing and ARNs, `us-east-1` by default (the emulators' default). */
  region?: string;
  /** SDK attempts per call (1 = no retry), 3 by default: enough for a transient emulator hiccup. */
  maxAttempts?: number;
  /** Per-request socket timeout, 30 s by default. */
  requestTimeoutMs?: number;
}

/** Region the embedded runtime uses everywhere. */
export const LOCAL_REGION = 'us-east-1';

/**
 * Credentials accepted by all three emulators (s3rver insists on exactly these; kinesis-local and
 * dynalite accept anything).
 */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/**
 * Creates the real SDK clients configured for the emulators:
 * - every client uses an HTTP/1.1 `NodeHttpHandler` with keep-alive (the Kinesis client otherwise
 *   defaults to an HTTP/2 handler for every operation);
 * - the S3 client uses path-style addressing and computes/validates checksums only when an operation
 *   requires it (otherwise streamed bodies are stored by s3rver with aws-chunked framing, corrupted).
 *
 * Call `destroy()` on each client when done so keep-alive sockets do not hold the process open.
 * @param endpoints - the emulator endpoints, e.g. `Emulators.endpoints`
 */
export function localClients(endpoints: LocalEndpoints, options: LocalClientOptions = {}): LocalClients {
  const region = options.region ?? LOCAL_REGION;
  const maxAttempts = options.maxAttempts ?? 3;
  const handler = (): NodeHttpHandler =>
    new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
      connectionTimeout: 5_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
    });
  const common = { region, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts } as const;
  return {
    kinesis: new KinesisClient({ ...common, endpoint: endpoints.kinesis, requestHandler: handler() }),
    dynamodb: new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb, requestHandler: handler() }),
    s3: new S3Client({
      ...common,
      endpoint: endpoints.s3,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: handler(),
    }),
  };
}

/** Destroys the clients' sockets (idempotent). */
export function destroyClients(clients: LocalClients): void {
  clients.kinesis.destroy();
  clients.dynamodb.destroy();
  clients.s3.destroy();
}
