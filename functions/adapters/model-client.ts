/**
 * The model endpoint, through the real SageMaker Runtime client (InvokeEndpoint): on AWS a
 * SageMaker endpoint, locally the model server (models/serve.ts) behind
 * AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME. Also the reader of the partitions' proactive thresholds
 * in the model bucket.
 */
import { InvokeEndpointCommand, SageMakerRuntimeServiceException, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import {
  MODEL_CONTENT_TYPE,
  parseSampleResponse,
  type ModelWindow,
  type PartitionThresholds,
  type SampleRequest,
  type SampleResponse,
  type ScoreRequest,
  type ScoreResponse,
} from '../core/model-contract';
import { parseScoreResponse } from '../core/model-detector';
import { ENV, thresholdsKey } from '../core/resources';
import type { Profile } from '../core/types';
import type { ObjectStore } from './object-store';

/** Anything that scores windows with the model (the closer's dependency). */
export interface ModelScorer {
  /**
   * Scores a batch of windows.
   * @param options.endpointName - endpoint named by the profiles (used when the scorer has none of its own)
   */
  score(windows: ModelWindow[], options?: { endpointName?: string }): Promise<ScoreResponse>;
}

/** Anything that draws window feature vectors from the model's decoder (the scenario generator's dependency). */
export interface ModelSampler {
  /**
   * Draws `n` windows per hour of `hourStarts` for one partition.
   * @param options.endpointName - endpoint named by the profile (used when the sampler has none of its own)
   */
  sample(request: SampleRequest['sample'], options?: { endpointName?: string }): Promise<SampleResponse>;
}

/** Why a model call failed. */
export type ModelFailureKind = 'timeout' | 'unreachable' | 'endpoint-error' | 'malformed' | 'not-configured';

/** A model call failed; the message says what to check. */
export class ModelEndpointError extends Error {
  override readonly name = 'ModelEndpointError';
  constructor(
    message: string,
    readonly kind: ModelFailureKind,
    readonly endpointName: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Default InvokeEndpoint timeout, ms. */
export const DEFAULT_MODEL_TIMEOUT_MS = 3000;

/** The timeout configured by HARBINGER_MODEL_TIMEOUT_MS, else {@link DEFAULT_MODEL_TIMEOUT_MS}. */
export function modelTimeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env[ENV.modelTimeoutMs]);
  return Number.isFinite(v) && v > 0 ? v : DEFAULT_MODEL_TIMEOUT_MS;
}

/** Options of {@link SageMakerModelClient}. */
export interface SageMakerModelClientOptions {
  client: SageMakerRuntimeClient;
  /** Endpoint invoked; preferred over the per-call `endpointName`. */
  endpointName?: string;
  /** Whole-call timeout including SDK retries, ms (default {@link DEFAULT_MODEL_TIMEOUT_MS}). */
  timeoutMs?: number;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ETIMEDOUT']);

function networkCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  let cur: unknown = err;
  while (cur && typeof cur === 'object' && !seen.has(cur)) {
    seen.add(cur);
    const e = cur as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
    if (Array.isArray(e.errors) && e.errors.length > 0) cur = e.errors[0];
    else cur = e.cause;
  }
  return undefined;
}

/** Scores windows and samples windows on a SageMaker endpoint (JSON in, JSON out; see core/model-contract). */
export class SageMakerModelClient implements ModelScorer, ModelSampler {
  private readonly timeoutMs: number;

  constructor(private readonly options: SageMakerModelClientOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS;
  }

  /** The endpoint this client invokes when the caller names none. */
  get endpointName(): string | undefined {
    return this.options.endpointName;
  }

  /**
   * Invokes the endpoint with `{ op: 'score', windows }` and validates the response.
   * @throws ModelEndpointError on timeout, network failure, an endpoint error or a malformed body
   */
  async score(windows: ModelWindow[], options: { endpointName?: string } = {}): Promise<ScoreResponse> {
    const request: ScoreRequest = { op: 'score', windows };
    const { body, endpointName } = await this.invoke(request, options.endpointName);
    try {
      return parseScoreResponse(body);
    } catch (err) {
      throw this.malformed(endpointName, 'ScoreResponse', err);
    }
  }

  /**
   * Invokes the endpoint with `{ sample: {...} }` (windows drawn from the decoder) and validates the
   * response.
   * @throws ModelEndpointError on timeout, network failure, an endpoint error (a refused request
   *   answers HTTP 400 with the field to fix) or a malformed body
   */
  async sample(request: SampleRequest['sample'], options: { endpointName?: string } = {}): Promise<SampleResponse> {
    const body: SampleRequest = { sample: request };
    const res = await this.invoke(body, options.endpointName);
    try {
      return parseSampleResponse(res.body);
    } catch (err) {
      throw this.malformed(res.endpointName, 'SampleResponse', err);
    }
  }

  /** One InvokeEndpoint call with a JSON body; the parsed JSON answer. */
  private async invoke(request: unknown, callerEndpoint: string | undefined): Promise<{ body: unknown; endpointName: string }> {
    const endpointName = this.options.endpointName ?? callerEndpoint;
    if (!endpointName) {
      throw new ModelEndpointError(
        `no model endpoint to invoke: set ${ENV.modelEndpoint} (or profile.model.endpoint)`,
        'not-configured',
        undefined,
      );
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    let text: string;
    try {
      const res = await this.options.client.send(
        new InvokeEndpointCommand({
          EndpointName: endpointName,
          ContentType: MODEL_CONTENT_TYPE,
          Accept: MODEL_CONTENT_TYPE,
          Body: new TextEncoder().encode(JSON.stringify(request)),
        }),
        { abortSignal: controller.signal },
      );
      text = res.Body ? new TextDecoder().decode(res.Body) : '';
    } catch (err) {
      throw this.describe(err, endpointName, controller.signal.aborted);
    } finally {
      clearTimeout(timer);
    }
    try {
      return { body: JSON.parse(text) as unknown, endpointName };
    } catch (err) {
      throw new ModelEndpointError(
        `endpoint "${endpointName}" returned a body that is not JSON (${text.length} bytes): check that the endpoint serves the Harbinger model server (models/serve.ts) and not another container`,
        'malformed',
        endpointName,
        { cause: err },
      );
    }
  }

  private malformed(endpointName: string, what: string, err: unknown): ModelEndpointError {
    return new ModelEndpointError(
      `endpoint "${endpointName}" returned a body that is not a ${what} (${(err as Error).message}): check that the model server and this function use the same core/model-contract version`,
      'malformed',
      endpointName,
      { cause: err },
    );
  }

  private describe(err: unknown, endpointName: string, aborted: boolean): ModelEndpointError {
    if (aborted) {
      return new ModelEndpointError(
        `InvokeEndpoint on "${endpointName}" timed out after ${this.timeoutMs} ms: check that the endpoint is InService and not overloaded (CloudWatch ModelLatency), or raise ${ENV.modelTimeoutMs}`,
        'timeout',
        endpointName,
        { cause: err },
      );
    }
    if (err instanceof SageMakerRuntimeServiceException) {
      const status = err.$metadata?.httpStatusCode;
      return new ModelEndpointError(
        `endpoint "${endpointName}" answered ${err.name}${status ? ` (HTTP ${status})` : ''}: ${err.message}: check that the endpoint exists and is InService, the function may call sagemaker:InvokeEndpoint on it, and the model server's logs (/aws/sagemaker/Endpoints/${endpointName})`,
        'endpoint-error',
        endpointName,
        { cause: err },
      );
    }
    const code = networkCode(err);
    if (code) {
      return new ModelEndpointError(
        `could not reach endpoint "${endpointName}" (${code}): check the network path to SageMaker Runtime (VPC endpoint, DNS), or locally that the model server is running at AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME`,
        'unreachable',
        endpointName,
        { cause: err },
      );
    }
    const e = err as { name?: string; message?: string };
    return new ModelEndpointError(
      `InvokeEndpoint on "${endpointName}" failed (${e?.name ?? 'Error'}: ${e?.message ?? String(err)}): check ${ENV.modelEndpoint}, the endpoint's status and the model server's logs`,
      'endpoint-error',
      endpointName,
      { cause: err },
    );
  }
}

/** Reads a partition's proactive thresholds for its current model. */
export type ThresholdsReader = (partition: string, profile: Profile) => Promise<PartitionThresholds | null>;

/**
 * Reads PartitionThresholds from the model bucket (key: `profile.model.thresholdsKey`, else
 * `thresholdsKey(partition, model.version)`), cached per key for `ttlMs` (default 10 min): a key
 * names one model version, but a kept champion's 24 hours are recomputed in place by each
 * retraining run. Missing or unreadable: null (the model's
 * deviations then carry [expected, expected] as their band); read errors are not cached.
 */
export function createThresholdsReader(options: { store: ObjectStore; ttlMs?: number; now?: () => number }): ThresholdsReader {
  const cache = new Map<string, { at: number; value: Promise<PartitionThresholds | null> }>();
  const ttl = options.ttlMs ?? 10 * 60_000;
  const now = options.now ?? Date.now;
  return (partition, profile) => {
    if (!profile.model) return Promise.resolve(null);
    const key = profile.model.thresholdsKey ?? thresholdsKey(partition, profile.model.version);
    const cached = cache.get(key);
    // Re-read after the TTL: a kept champion's thresholds are refreshed in place every run.
    let hit = cached && now() - cached.at < ttl ? cached.value : undefined;
    if (!hit) {
      hit = options.store.getJson<PartitionThresholds>(key).then(
        (t) => (t && Array.isArray(t.hours) && Array.isArray(t.quantileLevels) ? t : null),
        (err: unknown) => {
          cache.delete(key);
          throw err;
        },
      );
      cache.set(key, { at: now(), value: hit });
    }
    return hit;
  };
}
