/**
 * The local stand-in for a SageMaker endpoint: the model container's own server
 * (`node --import tsx models/main.ts serve`, SageMaker inference contract) as a child process on
 * 127.0.0.1, and {@link LocalModelHost}, which implements the retraining steps' `ModelHosting`
 * port with it: "deploying" a model downloads its artifact from the local model bucket and
 * (re)starts the server with it; the endpoint's status is its /ping. The real
 * @aws-sdk/client-sagemaker-runtime reaches it through AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { ObjectStore } from '../../functions/adapters/object-store';
import type { HostingDeployRequest, HostingDeployResult, HostingStatus, ModelHosting } from '../../functions/retraining/hosting';
import { parseS3Uri } from '../../functions/retraining/s3-uri';
import { findFreePort, LOCAL_HOST } from './ports';

/** The repository root (models/main.ts is resolved from it). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The model container's entry point, relative to {@link REPO_ROOT}. */
export const MODEL_ENTRY = 'models/main.ts';

/** Arguments that run the model container's entry point with Node (as the Dockerfile does). */
export function modelEntryArgs(command: 'train' | 'serve'): string[] {
  return ['--import', 'tsx', MODEL_ENTRY, command];
}

/** The model server did not start, or died. `output` holds the tail of its output. */
export class ModelServerError extends Error {
  override readonly name = 'ModelServerError';
  constructor(
    message: string,
    readonly output = '',
  ) {
    super(output ? `${message}\n--- model server output (last lines) ---\n${output}` : message);
  }
}

/** Options of {@link startModelServer}. */
export interface ModelServerOptions {
  /** The /opt/ml-like root: the model is read from `<mlRoot>/model/model.json`. */
  mlRoot: string;
  /** Port on 127.0.0.1. Default: a free one. */
  port?: number;
  /** Upper bound for start-up (tfjs backend init + model load), ms. Default 60 s. */
  startTimeoutMs?: number;
  /** Receives the server's output lines. */
  log?: (line: string) => void;
  /** Where models/main.ts lives. Default {@link REPO_ROOT}. */
  repoRoot?: string;
}

/** A running model server child process. */
export interface ModelServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  pid: number | undefined;
  /** True once the child has exited. */
  readonly exited: boolean;
  /** GET /ping answered 200 (within 2 s). */
  ping(): Promise<boolean>;
  /** Stops the child (SIGTERM, then SIGKILL after 5 s). Idempotent. */
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** GET <url>/ping with a timeout. */
export async function pingModelServer(url: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Starts `models/main.ts serve` on 127.0.0.1 and resolves once it printed "listening" and answers
 * /ping. The child is killed when this process exits.
 * @throws ModelServerError when it exits first or does not answer in time
 */
export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const port = options.port ?? (await findFreePort());
  const url = `http://${LOCAL_HOST}:${port}`;
  const tail: string[] = [];
  const child: ChildProcess = spawn(process.execPath, modelEntryArgs('serve'), {
    cwd: options.repoRoot ?? REPO_ROOT,
    env: { ...process.env, HARBINGER_ML_ROOT: options.mlRoot, SAGEMAKER_BIND_TO_PORT: String(port), HARBINGER_MODEL_HOST: LOCAL_HOST },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exited = false;
  let listening = false;
  const killOnExit = (): void => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      process.removeListener('exit', killOnExit);
      resolve();
    });
  });
  const onLine = (line: string): void => {
    if (!line) return;
    tail.push(line);
    if (tail.length > 30) tail.shift();
    if (line.includes('listening')) listening = true;
    options.log?.(line);
  };
  const split = (stream: NodeJS.ReadableStream | null): void => {
    let buf = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buf += chunk;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      lines.forEach(onLine);
    });
    stream?.on('end', () => onLine(buf));
  };
  split(child.stdout);
  split(child.stderr);

  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    await Promise.race([exitPromise, sleep(5_000)]);
    if (!exited) {
      child.kill('SIGKILL');
      await Promise.race([exitPromise, sleep(2_000)]);
    }
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
    if (exited) throw new ModelServerError(`The model server exited before it was ready (exit code ${child.exitCode}).`, tail.join('\n'));
    if (listening && (await pingModelServer(url))) {
      return { url, port, pid: child.pid, get exited() { return exited; }, ping: () => (exited ? Promise.resolve(false) : pingModelServer(url)), stop };
    }
    await sleep(100);
  }
  await stop();
  throw new ModelServerError(`The model server did not answer /ping on ${url} within ${options.startTimeoutMs ?? 60_000} ms.`, tail.join('\n'));
}

/** Options of {@link LocalModelHost}. */
export interface LocalModelHostOptions {
  /** Client of the local S3 (model artifacts are read from it). */
  s3: S3Client;
  /** Where each deployed model's /opt/ml-like folder goes. */
  workDir: string;
  /** Fixed port of the endpoint (restarts reuse it). Default: a free one. */
  port?: number;
  /** Receives one line per deployment and the servers' output. */
  log?: (line: string) => void;
  startTimeoutMs?: number;
  repoRoot?: string;
}

interface Deployed {
  endpointName: string;
  endpointConfigName: string;
  server: ModelServer;
}

/**
 * SageMaker hosting emulated on this machine: one endpoint (one model server child process) per
 * endpoint name, on a fixed 127.0.0.1 port. Deploying downloads `modelDataUrl` (an S3 prefix or
 * object in the local model bucket) into `<workDir>/<modelName>/model/` and restarts the server
 * with it. Call {@link LocalModelHost.stop} when done (children are also killed on process exit).
 */
export class LocalModelHost implements ModelHosting {
  private readonly endpoints = new Map<string, Deployed>();
  private port: number | undefined;

  constructor(private readonly options: LocalModelHostOptions) {
    this.port = options.port;
  }

  /** `http://127.0.0.1:<port>`: the value for AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME. */
  async endpointUrl(): Promise<string> {
    this.port ??= await findFreePort();
    return `http://${LOCAL_HOST}:${this.port}`;
  }

  async deploy(r: HostingDeployRequest): Promise<HostingDeployResult> {
    const current = this.endpoints.get(r.endpointName);
    if (current && current.endpointConfigName === r.endpointConfigName && !current.server.exited) return { action: 'unchanged', status: 'InService' };
    const mlRoot = join(this.options.workDir, r.modelName);
    await this.download(r.modelDataUrl, join(mlRoot, 'model'));
    await this.endpointUrl();
    if (current) {
      this.options.log?.(`endpoint ${r.endpointName}: stopping ${current.endpointConfigName}`);
      await current.server.stop();
      this.endpoints.delete(r.endpointName);
    }
    const server = await startModelServer({
      mlRoot,
      port: this.port,
      log: (l) => this.options.log?.(`  [model server] ${l}`),
      startTimeoutMs: this.options.startTimeoutMs,
      repoRoot: this.options.repoRoot,
    });
    this.endpoints.set(r.endpointName, { endpointName: r.endpointName, endpointConfigName: r.endpointConfigName, server });
    this.options.log?.(`endpoint ${r.endpointName}: serving ${r.modelName} on ${server.url}`);
    return { action: current ? 'updated' : 'created', status: 'Creating' };
  }

  async status(endpointName: string): Promise<HostingStatus> {
    const d = this.endpoints.get(endpointName);
    if (!d) return { status: 'Missing', endpointConfigName: null, failureReason: null };
    if (d.server.exited) return { status: 'Failed', endpointConfigName: d.endpointConfigName, failureReason: 'the local model server exited' };
    const ok = await d.server.ping();
    return ok
      ? { status: 'InService', endpointConfigName: d.endpointConfigName, failureReason: null }
      : { status: 'Creating', endpointConfigName: d.endpointConfigName, failureReason: null };
  }

  /** Names of the endpoints being served. */
  endpointNames(): string[] {
    return [...this.endpoints.keys()];
  }

  /** Stops every model server. */
  async stop(): Promise<void> {
    await Promise.all([...this.endpoints.values()].map((d) => d.server.stop()));
    this.endpoints.clear();
  }

  /** Copies an artifact (object, or every object under a prefix) from the local S3 into `dir`. */
  private async download(modelDataUrl: string, dir: string): Promise<void> {
    const { bucket, key } = parseS3Uri(modelDataUrl);
    const store = new ObjectStore({ client: this.options.s3, bucket });
    const keys = key.endsWith('/') ? await store.list(key) : [key];
    if (keys.length === 0) throw new ModelServerError(`No model artifact under ${modelDataUrl}.`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    for (const k of keys) {
      const bytes = await store.getBytes(k);
      if (!bytes) throw new ModelServerError(`Model artifact ${k} vanished from ${bucket}.`);
      const rel = key.endsWith('/') ? k.slice(key.length) : posix.basename(k);
      const target = join(dir, ...rel.split('/'));
      await mkdir(join(target, '..'), { recursive: true });
      await writeFile(target, bytes);
    }
  }
}
