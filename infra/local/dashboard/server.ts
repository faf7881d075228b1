/**
 * The local web dashboard: a small node:http server on 127.0.0.1 serving the page (public/), uPlot
 * from node_modules (no CDN, no network), a JSON API over the real stores (see data.ts) and
 * Server-Sent Events for live updates.
 *
 * API:
 * - GET  /api/partitions                              partitions with a profile, level, scoring
 * - GET  /api/series?partition=&from=&to=&minutes=    per-minute features, bands, anomalies, predictions
 * - GET  /api/scores?partition=&from=&to=&minutes=    probability distribution and the threshold
 * - GET  /api/alerts?partition=&limit=                alert envelopes (the local sink's)
 * - GET  /api/capacity                                shards and volume forecast, when a provider is wired
 * - GET  /api/predictions?partition=                  early warnings ("Log Anomaly Predicted"), latest state each
 * - GET  /api/labels?partition=                       labels: counts, level, level steps, training use
 * - GET  /api/remediation?limit=                      remediation rules, outcomes and recent attempts
 * - POST /api/sensitivity {partition, level}          sets the level on the CURRENT profile pointer
 * - POST /api/labels {partition, anomalyId, verdict, note?, by?}   applyLabel (as `harbinger label`)
 * - GET  /api/events                                  SSE: minute, alert, sensitivity, label, capacity, ...
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AlertEnvelope } from '../alert-sink';
import { LOCAL_HOST } from '../ports';
import { DashboardData, documentClientOf, type DashboardClients, type DashboardNames } from './data';
import { AlertFeed, EventHub, type DashboardEvent } from './events';
import { DashboardLabels } from './labels';
import { partitionOfEnvelope } from './predictions';
import { DashboardRemediation, type ClockSource } from './remediation';
import { DashboardRequestError, parseLimit, parsePartition, parseRange, parseSensitivityBody } from './requests';

/** One point of the stream's capacity: observed volume, its forecast with interval, and shards. */
export interface CapacityPoint {
  /** Epoch ms. */
  t: number;
  /** Records observed in the interval the provider uses (e.g. per minute). */
  records: number;
  forecast?: number;
  lower?: number;
  upper?: number;
  /** Open shards of the stream at `t`. */
  shards: number;
}

/** Supplies capacity data (the capacity function's forecasts and shard changes) when it exists. */
export type CapacityProvider = () => Promise<{ points: CapacityPoint[]; note?: string }>;

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** SDK clients for DynamoDB and S3 (the emulators' or a deployed stack's). */
  clients: DashboardClients;
  /** The stack's resource names (resourceNames()). */
  names: DashboardNames;
  /** The local alert sink's JSONL file, followed for live alerts and predicted crossings. */
  alertsFile?: string;
  /** TCP port on 127.0.0.1 (default 0: any free port). */
  port?: number;
  /** When `port` is taken, listen on any free port instead of failing (default false). */
  portFallback?: boolean;
  /** Capacity data; absent: the page says "not available yet". */
  capacity?: CapacityProvider;
  /** Where request errors (500s) are reported. Default: console.error. */
  log?: (line: string) => void;
}

/** A running dashboard. */
export interface Dashboard {
  /** The page's address, e.g. http://127.0.0.1:7070/. */
  url: string;
  /**
   * Pushes an update to every open page:
   * - a number: the (simulated) time of the minute just closed, epoch ms: pages refresh (it is also
   *   the dashboard's "now" for remediation outcomes);
   * - an alert envelope (`detail-type`, `time`, `detail`): recorded like a line of the alerts file
   *   (e.g. a "Log Anomaly Predicted" event);
   * - any other `{type, ...}` event, sent as is (e.g. `{type: 'capacity'}`).
   */
  notify(event?: number | AlertEnvelope | DashboardEvent): void;
  /** Same as {@link Dashboard.notify} (for callers that think of it as a publisher). */
  publish(event: number | AlertEnvelope | DashboardEvent): void;
  /** Stops serving: closes every stream and connection. Idempotent. */
  close(): Promise<void>;
}

/** The server could not listen; `portTaken` when another process holds the port. */
export class DashboardStartError extends Error {
  override readonly name = 'DashboardStartError';
  constructor(
    message: string,
    readonly portTaken = false,
  ) {
    super(message);
  }
}

const here = dirname(fileURLToPath(import.meta.url));
const MAX_BODY = 16 * 1024;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml; charset=utf-8',
};

/** The page's files and uPlot's, read once: only these paths are served. */
function staticFiles(): Map<string, { body: Buffer; type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  const publicDir = join(here, 'public');
  for (const name of readdirSync(publicDir)) {
    const type = TYPES[extname(name)];
    if (type) files.set(`/${name}`, { body: readFileSync(join(publicDir, name)), type });
  }
  const index = files.get('/index.html');
  if (index) files.set('/', index);
  const uplotDist = dirname(createRequire(import.meta.url).resolve('uplot'));
  files.set('/vendor/uPlot.iife.min.js', { body: readFileSync(join(uplotDist, 'uPlot.iife.min.js')), type: TYPES['.js'] });
  files.set('/vendor/uPlot.min.css', { body: readFileSync(join(uplotDist, 'uPlot.min.css')), type: TYPES['.css'] });
  return files;
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new DashboardRequestError(413, `The body is larger than ${MAX_BODY} bytes.`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Reads a POST request's JSON body.
 * @param usage - the 405 message (what to send instead)
 * @throws DashboardRequestError 405 for another method, 415 for another content type, 413 when too large
 */
async function readJsonBody(req: IncomingMessage, res: ServerResponse, usage: string): Promise<string> {
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    throw new DashboardRequestError(405, usage || `Use POST ${req.url ?? ''} with a JSON body.`);
  }
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    throw new DashboardRequestError(415, 'Send the body as Content-Type: application/json.');
  }
  return readBody(req);
}

function isEnvelope(e: unknown): e is AlertEnvelope {
  return typeof e === 'object' && e !== null && typeof (e as AlertEnvelope)['detail-type'] === 'string';
}

/**
 * Starts the dashboard on 127.0.0.1 and begins following the alerts file.
 * @throws DashboardStartError when the port cannot be bound
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const log = options.log ?? ((line: string) => console.error(line));
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port >= 0 && options.port <= 65535)) {
    throw new DashboardStartError(`The dashboard port must be a whole number in 0..65535 (0 = any free port), got ${options.port}.`);
  }
  const hub = new EventHub();
  const feed = new AlertFeed({
    file: options.alertsFile,
    onEnvelope: (envelope) => hub.publish({ type: 'alert', partition: partitionOfEnvelope(envelope) ?? null, envelope }),
  });
  const data = new DashboardData({ clients: options.clients, names: options.names, alerts: feed });
  const doc = documentClientOf(options.clients.dynamodb);
  const labels = new DashboardLabels({ s3: options.clients.s3, anomalyBucket: options.names.anomalyBucket, dynamodb: doc, table: options.names.table });
  const remediation = new DashboardRemediation({ dynamodb: doc, table: options.names.table });
  /** The newest simulated minute a caller notified, epoch ms. */
  let simulatedNow: number | null = null;
  /** The time remediation outcomes are evaluated at: the simulated clock, else the newest alert, else the wall clock. */
  const now = (): { at: number; source: ClockSource } => {
    if (simulatedNow !== null) return { at: simulatedNow, source: 'simulated-clock' };
    const newest = feed.newestTime();
    return newest !== null ? { at: newest, source: 'alerts' } : { at: Date.now(), source: 'wall-clock' };
  };
  const files = staticFiles();
  let port = options.port ?? 0;

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Only pages served from this address may talk to it (no DNS rebinding).
    const host = req.headers.host ?? '';
    if (host !== `${LOCAL_HOST}:${port}` && host !== `localhost:${port}`) {
      throw new DashboardRequestError(403, `Open the dashboard at http://${LOCAL_HOST}:${port}/ (host "${host.slice(0, 60)}" refused).`);
    }
    const url = new URL(req.url ?? '/', `http://${LOCAL_HOST}:${port}`);
    const path = url.pathname;
    const q = url.searchParams;
    if (path === '/api/sensitivity') {
      const body = parseSensitivityBody(await readJsonBody(req, res, 'Use POST /api/sensitivity with a JSON body {"partition": "...", "level": 0.99}.'));
      const summary = await data.setSensitivity(body.partition, body.level);
      hub.publish({ type: 'sensitivity', partition: summary.partition, level: summary.sensitivity });
      sendJson(res, 200, summary);
      return;
    }
    if (path === '/api/labels' && req.method === 'POST') {
      const outcome = await labels.apply(await readJsonBody(req, res, ''));
      const { label } = outcome;
      data.profileChanged(label.partition);
      hub.publish({ type: 'label', partition: label.partition, anomalyId: label.anomalyId, verdict: label.verdict, level: label.sensitivity.after, changed: outcome.changed });
      sendJson(res, 200, outcome);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', path === '/api/labels' ? 'GET, POST' : 'GET');
      throw new DashboardRequestError(405, `${req.method} is not supported on ${path}.`);
    }
    switch (path) {
      case '/api/events':
        hub.attach(req, res);
        return;
      case '/api/partitions':
        sendJson(res, 200, { partitions: await data.partitions() });
        return;
      case '/api/series':
        sendJson(res, 200, await data.series(parsePartition(q.get('partition')), parseRange(q)));
        return;
      case '/api/scores':
        sendJson(res, 200, await data.scores(parsePartition(q.get('partition')), parseRange(q)));
        return;
      case '/api/alerts': {
        const partition = q.get('partition') ? parsePartition(q.get('partition')) : undefined;
        const limit = Math.min(1000, Math.max(1, Number(q.get('limit') ?? 200) || 200));
        sendJson(res, 200, { alerts: feed.list(partition, limit) });
        return;
      }
      case '/api/predictions': {
        const partition = q.get('partition') ? parsePartition(q.get('partition')) : undefined;
        const predictions = feed.predicted(partition);
        const available = predictions.length > 0 || feed.anyPredicted();
        sendJson(res, 200, { available, predictions });
        return;
      }
      case '/api/labels':
        sendJson(res, 200, await labels.list(parsePartition(q.get('partition'))));
        return;
      case '/api/remediation': {
        const clock = now();
        sendJson(res, 200, await remediation.view(clock.at, clock.source, parseLimit(q.get('limit'), 20, 200)));
        return;
      }
      case '/api/capacity':
        if (!options.capacity) {
          sendJson(res, 200, { available: false, reason: 'Capacity data is not available yet: no capacity provider is wired to this dashboard.' });
        } else {
          const c = await options.capacity();
          sendJson(res, 200, { available: c.points.length > 0, points: c.points, note: c.note ?? null, reason: c.points.length ? null : 'No capacity points yet.' });
        }
        return;
      default: {
        const file = files.get(path);
        if (!file) throw new DashboardRequestError(404, `Nothing at ${path.slice(0, 100)}.`);
        res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache', ...SECURITY_HEADERS });
        res.end(req.method === 'HEAD' ? undefined : file.body);
      }
    }
  };

  // Requests still reading the stores: close() waits for them, so none outlives the dashboard.
  const inFlight = new Set<Promise<void>>();
  const server: Server = createServer((req, res) => {
    const handled = route(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.end();
        return;
      }
      if (err instanceof DashboardRequestError) {
        sendJson(res, err.status, { error: err.message });
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      log(`  ! dashboard ${req.method} ${req.url}: ${message}`);
      sendJson(res, 500, { error: `The dashboard could not read the stores: ${message}` });
    });
    inFlight.add(handled);
    void handled.finally(() => inFlight.delete(handled));
  });
  const listen = (p: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const taken = err.code === 'EADDRINUSE';
        reject(
          new DashboardStartError(
            taken ? `Port ${p} on ${LOCAL_HOST} is in use: pass another port (0 = any free port).` : `The dashboard could not listen on ${LOCAL_HOST}:${p}: ${err.message}`,
            taken,
          ),
        );
      };
      server.once('error', onError);
      server.listen({ port: p, host: LOCAL_HOST }, () => {
        server.off('error', onError);
        resolve();
      });
    });
  try {
    await listen(port);
  } catch (err) {
    if (!(options.portFallback && err instanceof DashboardStartError && err.portTaken)) {
      hub.close();
      throw err;
    }
    await listen(0);
  }
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : port;
  await feed.start();

  const notify = (event?: number | AlertEnvelope | DashboardEvent): void => {
    if (typeof event === 'number' && Number.isFinite(event)) simulatedNow = Math.max(simulatedNow ?? -Infinity, event);
    if (event === undefined || typeof event === 'number') hub.publish({ type: 'minute', at: event ?? Date.now() });
    else if (isEnvelope(event)) feed.add(event);
    else hub.publish(event);
  };
  let closing: Promise<void> | undefined;
  return {
    url: `http://${LOCAL_HOST}:${port}/`,
    notify,
    publish: notify,
    close: () => {
      closing ??= (async () => {
        await feed.stop();
        hub.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Let requests that are reading the stores finish (bounded), then drop every connection.
        await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => setTimeout(r, 10_000).unref())]);
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}
