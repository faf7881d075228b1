import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';

/**
 * AWS SDK v3 clients shared by the handlers. Endpoints come from the SDK's standard
 * service-specific variables (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3, ...): unset on AWS,
 * set by the embedded runtime to the local emulators. Nothing else differs between the worlds,
 * except that a path-style S3 endpoint is needed whenever an S3 endpoint override is set.
 */
export interface AwsClients {
  dynamodb: DynamoDBDocumentClient;
  s3: S3Client;
  eventbridge: EventBridgeClient;
  /** InvokeEndpoint on the model endpoint (locally: AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME, the model server). */
  sagemakerRuntime: SageMakerRuntimeClient;
}

let cached: AwsClients | undefined;

/** Lazily created, module-scoped clients (reused across warm Lambda invocations). */
export function awsClients(): AwsClients {
  if (cached) return cached;
  const localS3 = Boolean(process.env.AWS_ENDPOINT_URL_S3);
  cached = {
    dynamodb: DynamoDBDocumentClient.from(new DynamoDBClient({}), {
      marshallOptions: { removeUndefinedValues: true },
    }),
    s3: new S3Client(
      localS3
        ? { forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
        : {},
    ),
    eventbridge: new EventBridgeClient({}),
    sagemakerRuntime: new SageMakerRuntimeClient({}),
  };
  return cached;
}

/** Drops the cached clients (the embedded runtime calls this after it changes endpoints). */
export function resetAwsClients(): void {
  cached = undefined;
}

/**
 * Reads a required environment variable.
 * @throws Error naming the variable and where it is set
 */
export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(`Environment variable ${name} is not set. The CDK stack sets it on the function; locally the embedded runtime sets it.`);
  }
  return v;
}
