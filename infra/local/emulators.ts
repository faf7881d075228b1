import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { localClients, LOCAL_CREDENTIALS, LOCAL_REGION, type LocalEndpoints } from './clients';
import { findFreePorts, LOCAL_HOST } from './ports';

const require = createRequire(import.meta.url);

/** Which emulator a {@link EmulatorStartError} is about. */
export type EmulatorName = 'kinesis' | 'dynamodb' | 's3';

/** An emulator failed to start (or to answer in time). `output` holds the tail of its own logs. */
export class EmulatorStartError extends Error {
  override readonly name = 'EmulatorStartError';
  constructor(
    readonly emulator: EmulatorName,
    message: string,
    readonly output = '',
    options?: { cause?: unknown },
  ) {
    super(output ? `${message}\n--- ${emulator} output (last lines) ---\n${output}` : message, options);
  }
}

/** Options for {@link startEmulators}. */
export interface EmulatorOptions {
  /** Directory for persistent emulator state (s3rver objects under `<dataDir>/s3`). A temp dir, removed on stop, when absent. */
  dataDir?: string;
  /** Receives one-line progress and emulator warnings. Silent by default. */
  log?: (msg: string) => void;
  /** Upper bound for the whole startup, 30 s by default. */
  startTimeoutMs?: number;
  /**
   * Duration kinesis-local keeps a stream in CREATING/UPDATING after CreateStream, UpdateShardCount,
   * SplitShard, MergeShards (its default is 500 ms). 50 ms by default.
   */
  kinesisTransitionMs?: number;
  /** kinesis-local LOG_LEVEL (`WARN` by default). Its lines go to `log`. */
  kinesisLogLevel?: 'ERROR' | 'WARN' | 'INFO' | 'DEBUG';
}

/** Running emulators. */
export interface Emulators {
  /** Plain-HTTP endpoints on 127.0.0.1. */
  endpoints: LocalEndpoints;
  /**
   * Environment that makes SDK clients created with no explicit configuration reach the emulators
   * (`AWS_ENDPOINT_URL_<SERVICE>`, credentials, region, S3 checksum mode) plus `HARBINGER_LOCAL=1`.
   */
  env: Record<string, string>;
  /** Milliseconds each emulator took to answer, and the whole startup. */
  startup: { kinesisMs: number; dynamodbMs: number; s3Ms: number; totalMs: number };
  /** Stops all three (idempotent; kills kinesis-local with SIGKILL when SIGTERM is not enough). */
  stop(): Promise<void>;
}

interface Stoppable {
  stop(): Promise<void>;
}

interface KinesisHandle extends Stoppable {
  endpoint: string;
  pid: number | undefined;
}

/** Minimal typing of dynalite's CommonJS export. */
type DynaliteFactory = (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

/** Minimal typing of s3rver's CommonJS export. */
interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverConstructor = new (options: {
  port: number;
  address: string;
  silent: boolean;
  directory: string;
  resetOnClose?: boolean;
}) => S3rverInstance;

/**
 * Preloaded into the kinesis-local child (`node --import data:...`):
 * - kinesis-local hard-codes host 0.0.0.0 and has no option for it: force every `listen` in the
 *   child onto 127.0.0.1;
 * - exit when stdin closes, so the child never outlives its parent, even one killed with SIGKILL.
 */
const KINESIS_PRELOAD = `import net from 'node:net';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number') {
    if (args.length === 1 || typeof args[1] === 'function') args.splice(1, 0, '${LOCAL_HOST}');
    else if (typeof args[1] === 'string') args[1] = '${LOCAL_HOST}';
  } else if (args[0] && typeof args[0] === 'object' && 'port' in args[0]) {
    args[0] = { ...args[0], host: '${LOCAL_HOST}' };
  }
  return listen.apply(this, args);
};
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Keeps the last `max` lines of a child's output for error messages. */
class OutputTail {
  private readonly lines: string[] = [];
  private partial = '';
  constructor(
    private readonly max: number,
    private readonly onLine?: (line: string) => void,
  ) {}
  push(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.add(line);
    if (this.partial.length > 8192) {
      this.add(this.partial);
      this.partial = '';
    }
  }
  private add(line: string): void {
    const trimmed = line.trimEnd();
    if (!trimmed) return;
    this.lines.push(trimmed);
    if (this.lines.length > this.max) this.lines.shift();
    this.onLine?.(trimmed);
  }
  toString(): string {
    return [...this.lines, this.partial].filter(Boolean).join('\n');
  }
}

/** Registered once per process: kills every live kinesis-local child (and removes temp dirs) on exit and on SIGINT/SIGTERM. */
const liveChildren = new Set<ChildProcess>();
const liveTempDirs = new Set<string>();
let exitHooksInstalled = false;
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const killAll = (): void => {
    for (const child of liveChildren) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
    liveChildren.clear();
    for (const dir of liveTempDirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    }
    liveTempDirs.clear();
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAll();
      // Keep the default behaviour (terminate) unless the application installed its own handler.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
}

function kinesisMainPath(): string {
  const pkgJson = require.resolve('kinesis-local/package.json');
  return join(dirname(pkgJson), 'main.js');
}

async function startKinesisOnce(
  plainPort: number,
  tlsPort: number,
  options: Required<Pick<EmulatorOptions, 'kinesisTransitionMs' | 'kinesisLogLevel'>> & {
    log: (msg: string) => void;
    deadline: number;
  },
): Promise<KinesisHandle> {
  const main = kinesisMainPath();
  const duration = `${Math.max(0, Math.round(options.kinesisTransitionMs))}ms`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KINESIS_MOCK_PLAIN_PORT: String(plainPort),
    KINESIS_MOCK_TLS_PORT: String(tlsPort),
    KINESIS_MOCK_CERT_PATH: join(dirname(main), 'server.json'),
    LOG_LEVEL: options.kinesisLogLevel,
    ROOT_LOG_LEVEL: 'ERROR',
    AWS_REGION: LOCAL_REGION,
    SHOULD_PERSIST_DATA: 'false',
    CREATE_STREAM_DURATION: duration,
    DELETE_STREAM_DURATION: duration,
    UPDATE_SHARD_COUNT_DURATION: duration,
    SPLIT_SHARD_DURATION: duration,
    MERGE_SHARDS_DURATION: duration,
    UPDATE_STREAM_MODE_DURATION: duration,
    REGISTER_STREAM_CONSUMER_DURATION: duration,
    DEREGISTER_STREAM_CONSUMER_DURATION: duration,
    START_STREAM_ENCRYPTION_DURATION: duration,
    STOP_STREAM_ENCRYPTION_DURATION: duration,
  };
  const preload = `data:text/javascript,${encodeURIComponent(KINESIS_PRELOAD)}`;
  // Stack-trace lines stay in the tail (for startup errors) but are not forwarded to `log`.
  const tail = new OutputTail(40, (line) => {
    if (!/^\s+at /.test(line)) options.log(`kinesis-local: ${line}`);
  });
  const child = spawn(process.execPath, ['--import', preload, main], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
  installExitHooks();
  liveChildren.add(child);
  child.stdout?.on('data', (d: Buffer) => tail.push(d));
  child.stderr?.on('data', (d: Buffer) => tail.push(d));
  child.stdin?.on('error', () => undefined);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      liveChildren.delete(child);
      resolve();
    });
  });
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });

  const stop = async (): Promise<void> => {
    if (exited) return;
    child.stdin?.end();
    child.kill('SIGTERM');
    const done = await Promise.race([exitPromise.then(() => true), sleep(2_000).then(() => false)]);
    if (!done && !exited) {
      child.kill('SIGKILL');
      await Promise.race([exitPromise, sleep(2_000)]);
    }
    liveChildren.delete(child);
  };

  const endpoint = `http://${LOCAL_HOST}:${plainPort}`;
  const probe = localClients({ kinesis: endpoint, dynamodb: endpoint, s3: endpoint }, { maxAttempts: 1, requestTimeoutMs: 2_000 });
  let lastError: unknown;
  try {
    // Bounded: at most until the deadline, ~20 polls a second.
    for (let attempt = 0; attempt < 10_000; attempt++) {
      if (spawnError) throw new EmulatorStartError('kinesis', `cannot spawn kinesis-local: ${spawnError.message}`, tail.toString());
      if (exited) {
        throw new EmulatorStartError(
          'kinesis',
          `kinesis-local exited during startup (code ${exited.code}, signal ${exited.signal})`,
          tail.toString(),
        );
      }
      try {
        await probe.kinesis.send(new ListStreamsCommand({}));
        return { endpoint, pid: child.pid, stop };
      } catch (err) {
        lastError = err;
      }
      if (Date.now() >= options.deadline) break;
      await sleep(50);
    }
    throw new EmulatorStartError(
      'kinesis',
      `kinesis-local did not answer ListStreams on ${endpoint} in time (last error: ${(lastError as Error)?.message ?? 'none'})`,
      tail.toString(),
      { cause: lastError },
    );
  } catch (err) {
    await stop();
    throw err;
  } finally {
    probe.kinesis.destroy();
    probe.dynamodb.destroy();
    probe.s3.destroy();
  }
}

async function startKinesis(
  options: Required<Pick<EmulatorOptions, 'kinesisTransitionMs' | 'kinesisLogLevel'>> & {
    log: (msg: string) => void;
    deadline: number;
  },
): Promise<KinesisHandle> {
  // The ports are probed then released before the child binds them: retry on a lost race.
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const [plainPort, tlsPort] = await findFreePorts(2);
    try {
      return await startKinesisOnce(plainPort, tlsPort, options);
    } catch (err) {
      lastError = err;
      const text = err instanceof EmulatorStartError ? err.output : '';
      if (!/EADDRINUSE/i.test(text) || Date.now() >= options.deadline) throw err;
      options.log(`kinesis-local: port ${plainPort}/${tlsPort} taken, retrying`);
    }
  }
  throw lastError;
}

function closeHttpServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    let settled = false;
    const finish = (): void => {
      if (!settled) {
        settled = true;
        resolve();
      }
    };
    try {
      server.close(() => finish());
    } catch {
      finish();
    }
    // SDK clients keep sockets alive: without this, close() waits for them to time out.
    server.closeAllConnections?.();
    setTimeout(finish, 3_000).unref();
  });
}

async function startDynamo(): Promise<Stoppable & { endpoint: string }> {
  const dynalite = require('dynalite') as DynaliteFactory;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new EmulatorStartError('dynamodb', `dynalite failed to listen: ${err.message}`, '', { cause: err })));
    server.listen(0, LOCAL_HOST, () => resolve());
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new EmulatorStartError('dynamodb', 'dynalite reported no address');
  return { endpoint: `http://${LOCAL_HOST}:${address.port}`, stop: () => closeHttpServer(server) };
}

async function startS3(dataDir: string | undefined): Promise<Stoppable & { endpoint: string }> {
  const S3rver = require('s3rver') as S3rverConstructor;
  let directory: string;
  let temporary = false;
  if (dataDir) {
    directory = join(dataDir, 's3');
    await mkdir(directory, { recursive: true });
  } else {
    directory = await mkdtemp(join(tmpdir(), 'harbinger-s3-'));
    temporary = true;
    installExitHooks();
    liveTempDirs.add(directory);
  }
  const server = new S3rver({ port: 0, address: LOCAL_HOST, silent: true, directory });
  let address: { port: number };
  try {
    address = await server.run();
  } catch (err) {
    if (temporary) {
      liveTempDirs.delete(directory);
      await rm(directory, { recursive: true, force: true });
    }
    throw new EmulatorStartError('s3', `s3rver failed to start: ${(err as Error).message}`, '', { cause: err });
  }
  return {
    endpoint: `http://${LOCAL_HOST}:${address.port}`,
    stop: async () => {
      if (server.httpServer) await closeHttpServer(server.httpServer);
      if (temporary) {
        liveTempDirs.delete(directory);
        await rm(directory, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Environment for processes (or SDK clients built without an `endpoint`) that should reach the
 * emulators. Uses the SDK's standard service-specific endpoint variables, honoured by the installed
 * AWS SDK v3 (`@smithy/core` getEndpointUrlConfig: `AWS_ENDPOINT_URL_<SERVICE ID>`).
 * The S3 endpoint is an IP address, so the SDK's endpoint rules address buckets path-style.
 */
export function emulatorEnv(endpoints: LocalEndpoints): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    HARBINGER_LOCAL: '1',
  };
}

/**
 * Starts the three AWS-protocol emulators on free ports of 127.0.0.1, concurrently:
 * kinesis-local as a child process (waits until it answers ListStreams), dynalite and s3rver
 * in-process. If one fails, the others are stopped and an {@link EmulatorStartError} is thrown with
 * the failing emulator's output.
 *
 * The kinesis-local child is killed on `stop()`, on process exit, on SIGINT/SIGTERM/SIGHUP, and exits
 * by itself when its stdin pipe closes (parent gone).
 */
export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const log = options.log ?? (() => undefined);
  const t0 = performance.now();
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  const timed = async <T>(p: Promise<T>): Promise<{ value: T; ms: number }> => {
    const value = await p;
    return { value, ms: Math.round(performance.now() - t0) };
  };
  const results = await Promise.allSettled([
    timed(
      startKinesis({
        kinesisTransitionMs: options.kinesisTransitionMs ?? 50,
        kinesisLogLevel: options.kinesisLogLevel ?? 'WARN',
        log,
        deadline,
      }),
    ),
    timed(startDynamo()),
    timed(startS3(options.dataDir)),
  ]);
  const [kinesis, dynamo, s3] = results;
  if (kinesis.status === 'rejected' || dynamo.status === 'rejected' || s3.status === 'rejected') {
    await Promise.all(results.map((r) => (r.status === 'fulfilled' ? r.value.value.stop().catch(() => undefined) : undefined)));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    throw failure?.reason instanceof Error ? failure.reason : new EmulatorStartError('kinesis', String(failure?.reason));
  }
  const endpoints: LocalEndpoints = {
    kinesis: kinesis.value.value.endpoint,
    dynamodb: dynamo.value.value.endpoint,
    s3: s3.value.value.endpoint,
  };
  const startup = {
    kinesisMs: kinesis.value.ms,
    dynamodbMs: dynamo.value.ms,
    s3Ms: s3.value.ms,
    totalMs: Math.round(performance.now() - t0),
  };
  log(
    `emulators up in ${startup.totalMs} ms (kinesis ${startup.kinesisMs} ms, dynamodb ${startup.dynamodbMs} ms, s3 ${startup.s3Ms} ms): ` +
      `kinesis ${endpoints.kinesis}, dynamodb ${endpoints.dynamodb}, s3 ${endpoints.s3}`,
  );
  let stopping: Promise<void> | undefined;
  return {
    endpoints,
    env: emulatorEnv(endpoints),
    startup,
    stop: () => {
      stopping ??= Promise.all([kinesis.value.value.stop(), dynamo.value.value.stop(), s3.value.value.stop()]).then(() => {
        log('emulators stopped');
      });
      return stopping;
    },
  };
}
