/**
 * SageMaker inference entry point (bring-your-own container, `serve`): GET /ping and
 * POST /invocations on port 8080 (SAGEMAKER_BIND_TO_PORT), answering the contract in
 * functions/core/model-contract.ts. Locally the same server also answers the SageMaker Runtime
 * API path POST /endpoints/<name>/invocations, so the real @aws-sdk/client-sagemaker-runtime
 * reaches it with only its endpoint changed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import {
  hourSampleSeed,
  MODEL_CONTENT_TYPE,
  ModelContractError,
  parseSampleRequest,
  type SampleResponse,
  type ScoreResponse,
  type ThresholdsResponse,
} from '../functions/core/model-contract';
import { initBackend } from './backend';
import { asWindow } from './dataset';
import { AnomalyModel } from './model';
import { mlPaths } from './paths';

/** SageMaker's payload limit for real-time endpoints. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;
/** Most windows in one score request. */
export const MAX_WINDOWS = 10_000;
/** Most partition-hours in one thresholds request. */
export const MAX_THRESHOLD_HOURS = 24 * 200;

/** A request the server refuses, with its HTTP status. */
export class BadRequestError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'BadRequestError';
  }
}

/** Options of {@link startModelServer}. */
export interface ModelServerOptions {
  /** model.json to load (default: <HARBINGER_ML_ROOT or /opt/ml>/model/model.json). */
  modelFile?: string;
  /** Default SAGEMAKER_BIND_TO_PORT or 8080; 0 picks a free port. */
  port?: number;
  /** Default HARBINGER_MODEL_HOST or 0.0.0.0 (SageMaker); use 127.0.0.1 locally. */
  host?: string;
}

/** A running model server. */
export interface RunningModelServer {
  url: string;
  port: number;
  modelVersion: string;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BadRequestError(`Request body over ${MAX_BODY_BYTES} bytes: send fewer windows per call.`, 413));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Answers a sample request (model-contract `sampleRequestSchema`): for each hour, `n` windows from
 * the decoder conditioned on it, seeded by `hourSampleSeed(seed, hour)`. A partition the model was
 * not trained on answers `knownPartition: false` and no hours (the caller falls back).
 * @throws BadRequestError when the body is not a valid sample request
 */
export function sample(model: Pick<AnomalyModel, 'version' | 'sampleWindows'>, body: unknown): SampleResponse {
  let request;
  try {
    request = parseSampleRequest(body);
  } catch (e) {
    if (e instanceof ModelContractError) throw new BadRequestError(`${e.message}. Example: {"sample": {"partition": "checkout#us-east-1", "hourStarts": [1763305200000], "n": 60, "seed": 7}}.`);
    throw e;
  }
  const { partition, hourStarts, n, seed } = request.sample;
  const hours: SampleResponse['hours'] = [];
  for (const hourStart of hourStarts) {
    const windows = model.sampleWindows(partition, hourStart, n, hourSampleSeed(seed, hourStart));
    if (windows.length === 0) return { modelVersion: model.version, partition, knownPartition: false, hours: [] };
    hours.push({ hourStart, windows });
  }
  return { modelVersion: model.version, partition, knownPartition: true, hours };
}

/** Answers one invocation body (exported for tests and in-process use). */
export function invoke(model: AnomalyModel, body: unknown): ScoreResponse | ThresholdsResponse | SampleResponse {
  if (!body || typeof body !== 'object') throw new BadRequestError('Body must be a JSON object: {"windows": [...]}, {"op": "thresholds", ...} or {"sample": {...}}.');
  const b = body as Record<string, unknown>;
  if ('sample' in b) return sample(model, b);
  if (b.op === 'thresholds') {
    if (!Array.isArray(b.partitions) || !b.partitions.every((p) => typeof p === 'string')) throw new BadRequestError('thresholds: "partitions" must be an array of strings.');
    if (typeof b.from !== 'number' || !Number.isFinite(b.from)) throw new BadRequestError('thresholds: "from" must be epoch milliseconds.');
    const hours = b.hours === undefined ? 24 : Number(b.hours);
    if (!Number.isInteger(hours) || hours < 1 || hours > 168) throw new BadRequestError('thresholds: "hours" must be an integer in [1, 168].');
    if (hours * b.partitions.length > MAX_THRESHOLD_HOURS) throw new BadRequestError(`thresholds: at most ${MAX_THRESHOLD_HOURS} partition-hours per call.`);
    return { modelVersion: model.version, thresholds: model.thresholds(b.partitions as string[], b.from, hours) };
  }
  if (b.op !== undefined && b.op !== 'score') throw new BadRequestError(`Unknown op ${JSON.stringify(b.op)}: use "score" or "thresholds" (or send {"sample": {...}}).`);
  if (!Array.isArray(b.windows)) throw new BadRequestError('score: "windows" must be an array.');
  if (b.windows.length > MAX_WINDOWS) throw new BadRequestError(`score: at most ${MAX_WINDOWS} windows per call, got ${b.windows.length}.`);
  const windows = b.windows.map((w, i) => {
    const v = asWindow(w);
    if (typeof v === 'string') throw new BadRequestError(`score: windows[${i}]: ${v}.`);
    return v;
  });
  return { modelVersion: model.version, scores: model.scoreWindows(windows) };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': MODEL_CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-invoked-production-variant': 'AllTraffic',
  });
  res.end(text);
}

/** Serves a loaded model. */
export function serveModel(model: AnomalyModel, options: { port: number; host: string }): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/ping') return send(res, 200, { status: 'ok', modelVersion: model.version });
    if (req.method === 'POST' && (path === '/invocations' || /^\/endpoints\/[^/]+\/invocations$/.test(path))) {
      readBody(req)
        .then((buf) => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(buf.toString('utf8'));
          } catch {
            throw new BadRequestError('Body is not valid JSON.');
          }
          send(res, 200, invoke(model, parsed));
        })
        .catch((e: unknown) => {
          if (e instanceof BadRequestError) send(res, e.status, { error: e.message });
          else send(res, 500, { error: e instanceof Error ? e.message : String(e) });
        });
      return;
    }
    send(res, 404, { error: `No route ${req.method} ${path}: use GET /ping or POST /invocations.` });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

/** Loads model.json and starts the server. */
export async function startModelServer(options: ModelServerOptions = {}): Promise<RunningModelServer> {
  await initBackend();
  const file = options.modelFile ?? mlPaths().modelFile;
  const model = AnomalyModel.load(JSON.parse(await readFile(file, 'utf8')));
  const host = options.host ?? process.env.HARBINGER_MODEL_HOST ?? '0.0.0.0';
  const { server, port } = await serveModel(model, { port: options.port ?? Number(process.env.SAGEMAKER_BIND_TO_PORT ?? 8080), host });
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    modelVersion: model.version,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          model.dispose();
          resolve();
        });
      }),
  };
}
