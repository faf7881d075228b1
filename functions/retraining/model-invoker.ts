/**
 * Calls the model server behind a SageMaker endpoint (the model-contract request and response
 * bodies). On AWS that is InvokeEndpoint; locally the same client reaches the local model server
 * through AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME.
 */
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { MODEL_CONTENT_TYPE, type ScoreRequest, type ScoreResponse, type ThresholdsRequest, type ThresholdsResponse } from '../core/model-contract';

/** Sends model-contract requests to an endpoint. */
export interface ModelInvoker {
  score(endpointName: string, request: ScoreRequest): Promise<ScoreResponse>;
  thresholds(endpointName: string, request: ThresholdsRequest): Promise<ThresholdsResponse>;
}

/** The endpoint answered with something that is not a model-contract response. */
export class ModelInvocationError extends Error {
  override readonly name = 'ModelInvocationError';
}

async function invoke<T>(client: SageMakerRuntimeClient, endpointName: string, body: unknown): Promise<T> {
  const res = await client.send(
    new InvokeEndpointCommand({ EndpointName: endpointName, ContentType: MODEL_CONTENT_TYPE, Accept: MODEL_CONTENT_TYPE, Body: Buffer.from(JSON.stringify(body)) }),
  );
  const text = res.Body ? Buffer.from(res.Body).toString('utf8') : '';
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new ModelInvocationError(`Endpoint ${endpointName} returned a body that is not JSON: ${text.slice(0, 200)}`, { cause: err });
  }
}

/** A {@link ModelInvoker} over the SageMaker runtime client. */
export function sageMakerInvoker(client: SageMakerRuntimeClient): ModelInvoker {
  return {
    async score(endpointName, request) {
      const res = await invoke<ScoreResponse>(client, endpointName, request);
      if (!Array.isArray(res?.scores)) throw new ModelInvocationError(`Endpoint ${endpointName}: a score response needs "scores"`);
      return res;
    },
    async thresholds(endpointName, request) {
      const res = await invoke<ThresholdsResponse>(client, endpointName, request);
      if (!Array.isArray(res?.thresholds)) throw new ModelInvocationError(`Endpoint ${endpointName}: a thresholds response needs "thresholds"`);
      return res;
    },
  };
}
