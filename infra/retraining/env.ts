/**
 * Environment variables of the retraining step functions that are set by the CDK stack only (the
 * shared ones, table, buckets and endpoint name, are `ENV` in functions/core/resources.ts).
 *
 * Pure constants: the handlers may read these names, the Retraining construct sets them.
 */
export const RETRAINING_ENV = {
  /** ARN of the SageMaker execution role passed to CreateModel (deploy step). */
  sagemakerRoleArn: 'HARBINGER_SAGEMAKER_ROLE_ARN',
  /** ECR URI of the model image (training and serving; deploy step). */
  modelImageUri: 'HARBINGER_MODEL_IMAGE_URI',
  /** Memory of the serverless endpoint, MB: 1024..6144 in steps of 1024 (deploy step). */
  serverlessMemoryMb: 'HARBINGER_SERVERLESS_MEMORY_MB',
  /** Maximum concurrent invocations of the serverless endpoint, 1..200 (deploy step). */
  serverlessMaxConcurrency: 'HARBINGER_SERVERLESS_MAX_CONCURRENCY',
} as const;

/** Defaults of the serverless endpoint settings above. */
export const SERVERLESS_DEFAULTS = {
  memoryMb: 3072,
  maxConcurrency: 5,
} as const;

/** Default SageMaker training instance type (`TrainingInstanceType` substitution). */
export const DEFAULT_TRAINING_INSTANCE_TYPE = 'ml.m5.large';
