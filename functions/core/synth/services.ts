/**
 * Synthetic services: what each service logs, in which format, how often and in which order.
 *
 * A service is a set of weighted *flows*. A flow is one unit of work inside one process (one log
 * stream): an HTTP request, a payment that is authorised then captured, a login with MFA. It emits
 * one or more lines in order, with realistic gaps between them, so ordered-pattern learning has
 * real sequences to learn ("payment authorized" -> "payment captured" within seconds).
 *
 * Lines are rendered exactly as the service would write them: JSON lines (checkout), log4j text
 * (payments), nginx combined access lines with request time plus the odd nginx error_log line
 * (gateway) and logfmt key=value lines (auth). Pure: no I/O, no SDK, all randomness from the
 * seeded `rng` of the {@link FlowContext}.
 */
import { normal } from '../random';

/** Uniform [0,1) source (a seeded {@link mulberry32} in practice). */
export type Rng = () => number;

/**
 * Dominant line format of a service. `mixed` means the service has no dominant format and each
 * template decides (any flow may render any format; see the render helpers below).
 */
export type SynthFormat = 'json' | 'text' | 'access' | 'kv' | 'mixed';

/** One log stream (one process / container instance) of a service in a region. */
export interface StreamInfo {
  /** 0-based instance index within the region. */
  index: number;
  /** CloudWatch log stream name, `<service>-<region>-<i>/<uuid-like>`. */
  name: string;
  /** Host / container name written by some formats. */
  host: string;
  /** Process id written by some formats (nginx error_log). */
  pid: number;
  /** Private IP of the instance. */
  ip: string;
}

/** Incident effect seen by one flow (all neutral when no incident is active). */
export interface FlowEffect {
  /** Multiplier applied by {@link latency} (1 = normal). */
  latencyFactor: number;
  /** 0..1 ramp of the active incident (0 when none); flows use it to render saturation. */
  intensity: number;
  /** Kind of the active incident, if any. */
  incident?: string;
}

/** What a flow sees while it runs. Implemented by the generator. */
export interface FlowContext {
  readonly rng: Rng;
  readonly service: ServiceSpec;
  readonly region: string;
  readonly stream: StreamInfo;
  readonly effect: FlowEffect;
  /** Current event time, epoch ms; {@link FlowContext.emit} stamps lines with it. */
  t: number;
  /** Emits one raw line at the current time {@link FlowContext.t}. */
  emit(message: string): void;
  /** Advances the current time by `ms` (rounded, at least 0). */
  wait(ms: number): void;
}

/** One weighted unit of work that emits an ordered sequence of lines in one stream. */
export interface FlowSpec {
  /** Short name, for documentation and tests. */
  name: string;
  /** Relative weight among its list (normal flows or error flows). */
  weight: number;
  /** Emits the flow's lines. */
  run: (c: FlowContext) => void;
}

/** A line emitted on a fixed period by every stream (health checks, pool stats, key refresh). */
export interface PeriodicSpec {
  name: string;
  /** Period in ms; each stream gets a deterministic phase. */
  everyMs: number;
  run: (c: FlowContext) => void;
}

/** Diurnal / weekly shape of a service's traffic. */
export interface SeasonalitySpec {
  /** Region-local hour of the daily peak (default 13.5). */
  peakHourLocal: number;
  /** Rate at the nightly trough relative to the peak (default 0.2). */
  troughRatio: number;
  /** Saturday/Sunday rate relative to a weekday (default 0.6). */
  weekendFactor: number;
}

/** Everything the generator needs to synthesise one service. */
export interface ServiceSpec {
  name: string;
  regions: string[];
  /** Log group of the service in a region: `/harbinger/<region>/<service>`. */
  logGroup: (region: string) => string;
  /** Log streams (instances) per region. */
  streams: number;
  /**
   * Mean events per minute per partition (service × region) on a weekday, averaged over the day,
   * before the generator's `scale`. The diurnal curve goes from `troughRatio` to the peak around it.
   */
  baseRatePerMin: number;
  format: SynthFormat;
  seasonality: SeasonalitySpec;
  /** Normal traffic. */
  flows: FlowSpec[];
  /** Failure flows (each emits at least one ERROR line). */
  errorFlows: FlowSpec[];
  /** Share of flows that are error flows in normal operation (ERROR lines end up near 0.5%). */
  errorShare: number;
  /**
   * The failure never seen in normal operation, used by the `error_burst_latency` and
   * `new_error_template` incidents (e.g. connection pool exhaustion).
   */
  incidentFlow: FlowSpec;
  /** Lines every stream emits on a fixed period. */
  periodic: PeriodicSpec[];
}

// -------------------------------------------------------------------------------------------
// Random helpers (all take the seeded rng)
// -------------------------------------------------------------------------------------------

/** Lognormal sample with the given median and log-space sigma. */
export function lognormal(rng: Rng, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(rng));
}

/** Integer in [lo, hi]. */
export function int(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

/** Uniform pick. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)];
}

const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `n` lowercase hex characters. */
export function hex(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i += 2) s += HEX2[(rng() * 256) | 0];
  return s.length === n ? s : s.slice(0, n);
}

/** Index in [0, n) skewed towards small values (a few hot users / products, a long tail). */
export function skewed(rng: Rng, n: number, power = 2.2): number {
  return Math.floor(n * Math.pow(rng(), power));
}

/** Chance helper. */
export function chance(rng: Rng, p: number): boolean {
  return rng() < p;
}

/**
 * Latency in ms: lognormal around `medianMs` times the active incident's latency factor, rounded
 * to at least 1 ms.
 */
export function latency(c: FlowContext, medianMs: number, sigma: number): number {
  return Math.max(1, Math.round(lognormal(c.rng, medianMs, sigma) * c.effect.latencyFactor));
}

const FIRST = ['jane', 'john', 'maria', 'li', 'ahmed', 'sofia', 'lucas', 'emma', 'noah', 'olivia', 'liam', 'mia', 'yuki', 'omar', 'ana', 'pierre', 'chloe', 'raj', 'elena', 'tom'];
const LAST = ['doe', 'smith', 'garcia', 'wang', 'khan', 'rossi', 'martin', 'muller', 'silva', 'kim', 'nguyen', 'dubois', 'novak', 'ito', 'jensen', 'brown', 'lopez', 'patel', 'meyer', 'cohen'];
const DOMAINS = ['example.com', 'example.org', 'mail.example.net', 'corp.example.com'];
const USERS = 5000;

/** A user drawn from a skewed pool: stable id and email for the same index. */
export function user(rng: Rng): { id: string; email: string } {
  const k = skewed(rng, USERS, 1.6);
  const id = 'u_' + ((Math.imul(k + 1, 2654435761) >>> 0) % 1e8).toString().padStart(8, '0');
  const email = `${FIRST[k % 20]}.${LAST[Math.floor(k / 20) % 20]}${k >= 400 ? k % 97 : ''}@${DOMAINS[k % 4]}`;
  return { id, email };
}

/** A client IP from a skewed pool of public-looking addresses (documentation ranges mixed in). */
export function clientIp(rng: Rng): string {
  const k = skewed(rng, 20000, 1.4);
  const h = Math.imul(k + 7, 2246822519) >>> 0;
  const a = [81, 86, 92, 109, 151, 176, 185, 203, 24, 68, 73, 98, 172, 198][h % 14];
  return `${a}.${(h >>> 8) & 255}.${(h >>> 16) & 255}.${1 + ((h >>> 24) % 254)}`;
}

const SKUS = 1200;
/** A product SKU from a skewed catalogue. */
export function sku(rng: Rng): string {
  return 'SKU-' + (10000 + skewed(rng, SKUS, 2)).toString();
}

/** Money amount with 2 decimals from a lognormal basket size. */
export function amount(rng: Rng, median = 38): string {
  return Math.max(0.5, lognormal(rng, median, 0.8)).toFixed(2);
}

/** Currency by region. */
export function currency(rng: Rng, region: string): string {
  if (region.startsWith('eu-')) return rng() < 0.8 ? 'EUR' : rng() < 0.7 ? 'GBP' : 'SEK';
  if (region.startsWith('us-')) return rng() < 0.93 ? 'USD' : 'CAD';
  return pick(rng, ['USD', 'EUR', 'JPY', 'SGD']);
}

// -------------------------------------------------------------------------------------------
// Line renderers (exact on-the-wire formats)
// -------------------------------------------------------------------------------------------

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const PAD2: string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3: string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const DAY_MS = 86_400_000;

/** Per-day date parts, cached (a run touches few days). */
let cachedDay = Number.NaN;
let cY = '';
let cMo = '';
let cD = '';
let cMon = '';
function setDay(t: number): void {
  const day = Math.floor(t / DAY_MS);
  if (day !== cachedDay) {
    const s = new Date(day * DAY_MS).toISOString();
    cY = s.slice(0, 4);
    cMo = s.slice(5, 7);
    cD = s.slice(8, 10);
    cMon = MONTHS[Number(cMo) - 1];
    cachedDay = day;
  }
}

/** `HH:MM:SS` of `t` (UTC). */
function clock(t: number): string {
  const sec = Math.floor((t - Math.floor(t / DAY_MS) * DAY_MS) / 1000);
  return `${PAD2[Math.floor(sec / 3600)]}:${PAD2[Math.floor(sec / 60) % 60]}:${PAD2[sec % 60]}`;
}

/** Milliseconds part of `t`, 3 digits. */
const millis = (t: number): string => PAD3[((t % 1000) + 1000) % 1000];

/** `2024-05-01T12:00:00.123Z` (same as `new Date(t).toISOString()`, allocation-light). */
export function isoTime(t: number): string {
  setDay(t);
  return `${cY}-${cMo}-${cD}T${clock(t)}.${millis(t)}Z`;
}

/** log4j default-ish `2024-05-01 12:00:00,123` (UTC). */
export function log4jTime(t: number): string {
  setDay(t);
  return `${cY}-${cMo}-${cD} ${clock(t)},${millis(t)}`;
}

/** nginx `$time_local` in UTC: `01/May/2024:12:00:00 +0000`. */
export function clfTime(t: number): string {
  setDay(t);
  return `${cD}/${cMon}/${cY}:${clock(t)} +0000`;
}

/** nginx error_log time: `2024/05/01 12:00:00`. */
export function nginxErrorTime(t: number): string {
  setDay(t);
  return `${cY}/${cMo}/${cD} ${clock(t)}`;
}

type JsonLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/**
 * Emits a structured JSON line: `{"timestamp","level","service","msg",...fields,"host"}`.
 * Undefined fields are dropped (JSON.stringify semantics).
 */
export function emitJson(c: FlowContext, level: JsonLevel, msg: string, fields: Record<string, unknown> = {}): void {
  // Hand-rolled JSON.stringify of {timestamp, level, service, msg, ...fields, host}: same output, faster.
  let line = `{"timestamp":"${isoTime(c.t)}","level":"${level}","service":${JSON.stringify(c.service.name)},"msg":${JSON.stringify(msg)}`;
  for (const k in fields) {
    const v = fields[k];
    if (v === undefined) continue;
    line += `,${JSON.stringify(k)}:${typeof v === 'number' && Number.isFinite(v) ? String(v) : JSON.stringify(v)}`;
  }
  c.emit(`${line},"host":${JSON.stringify(c.stream.host)}}`);
}

/** Emits a log4j line: `2024-05-01 12:00:00,123 INFO [thread] logger - message`. */
export function emitLog4j(c: FlowContext, level: JsonLevel, thread: string, logger: string, msg: string): void {
  c.emit(`${log4jTime(c.t)} ${level} [${thread}] ${logger} - ${msg}`);
}

/** Fields of one nginx access line. */
export interface AccessFields {
  ip: string;
  user?: string;
  method: string;
  path: string;
  status: number;
  bytes: number;
  referer?: string;
  userAgent: string;
  /** `$request_time`, ms (written as seconds with 3 decimals). */
  requestTimeMs: number;
}

/**
 * Emits an nginx "combined" access line followed by `$request_time` in seconds:
 * `1.2.3.4 - - [01/May/2024:12:00:00 +0000] "GET /x HTTP/1.1" 200 512 "-" "UA" 0.087`.
 */
export function emitAccess(c: FlowContext, f: AccessFields): void {
  c.emit(
    `${f.ip} - ${f.user ?? '-'} [${clfTime(c.t)}] "${f.method} ${f.path} HTTP/1.1" ${f.status} ${f.bytes} "${f.referer ?? '-'}" "${f.userAgent}" ${(f.requestTimeMs / 1000).toFixed(3)}`,
  );
}

/** Emits an nginx error_log line: `2024/05/01 12:00:00 [error] 29#29: *1234 message`. */
export function emitNginxError(c: FlowContext, level: 'warn' | 'error' | 'crit', msg: string): void {
  c.emit(`${nginxErrorTime(c.t)} [${level}] ${c.stream.pid}#${c.stream.pid}: *${int(c.rng, 100000, 9999999)} ${msg}`);
}

const NEEDS_QUOTES = /[\s"=]/;
/** logfmt value: quoted (with escaped quotes) when it contains spaces, quotes or `=`. */
function kvValue(v: string | number | boolean): string {
  const s = String(v);
  return s === '' || NEEDS_QUOTES.test(s) ? `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : s;
}

/** Emits a logfmt line: `time=... level=info msg="..." k=v ...` (Go style, lowercase level). */
export function emitKv(
  c: FlowContext,
  level: 'debug' | 'info' | 'warn' | 'error',
  msg: string,
  fields: Record<string, string | number | boolean | undefined> = {},
): void {
  let line = `time=${isoTime(c.t)} level=${level} msg=${kvValue(msg)}`;
  for (const k in fields) {
    const v = fields[k];
    if (v !== undefined) line += ` ${k}=${kvValue(v)}`;
  }
  c.emit(line);
}

// -------------------------------------------------------------------------------------------
// checkout: Node.js, structured JSON
// -------------------------------------------------------------------------------------------

const CHECKOUT_ROUTES: Array<{ method: string; path: (c: FlowContext) => string; ms: number; w: number }> = [
  { method: 'GET', path: () => '/v1/cart', ms: 28, w: 10 },
  { method: 'POST', path: () => '/v1/cart/items', ms: 45, w: 6 },
  { method: 'DELETE', path: (c) => `/v1/cart/items/${sku(c.rng)}`, ms: 35, w: 1.5 },
  { method: 'GET', path: (c) => `/v1/checkout/sessions/cs_${hex(c.rng, 12)}`, ms: 40, w: 4 },
  { method: 'POST', path: () => '/v1/checkout/shipping-quote', ms: 110, w: 3 },
];
const CHECKOUT_ROUTE_TOTAL = CHECKOUT_ROUTES.reduce((s, r) => s + r.w, 0);

function checkoutStatus(rng: Rng, okStatus: number): number {
  const r = rng();
  if (r < 0.012) return 400;
  if (r < 0.02) return 401;
  if (r < 0.026) return 404;
  if (r < 0.029) return 409;
  return okStatus;
}

/** `request started` ... body ... `request completed`, with the request's latency as the gap. */
function checkoutRequest(c: FlowContext, method: string, path: string, medianMs: number, okStatus: number, body?: (reqId: string) => void): void {
  const reqId = `req_${hex(c.rng, 16)}`;
  emitJson(c, 'INFO', 'request started', { req_id: reqId, method, path });
  const ms = latency(c, medianMs, 0.55);
  c.wait(ms * 0.4);
  body?.(reqId);
  c.wait(ms * 0.6);
  const status = checkoutStatus(c.rng, okStatus);
  emitJson(c, status >= 400 ? 'WARN' : 'INFO', 'request completed', { req_id: reqId, method, path, status, latency_ms: ms });
}

function checkoutFailedRequest(c: FlowContext, method: string, path: string, status: number, medianMs: number, failure: (reqId: string) => void): void {
  const reqId = `req_${hex(c.rng, 16)}`;
  emitJson(c, 'INFO', 'request started', { req_id: reqId, method, path });
  const ms = latency(c, medianMs, 0.4);
  c.wait(ms);
  failure(reqId);
  emitJson(c, 'ERROR', 'request failed', { req_id: reqId, method, path, status, latency_ms: ms });
}

const checkout: ServiceSpec = {
  name: 'checkout',
  regions: ['us-east-1', 'eu-west-1'],
  logGroup: (region) => `/harbinger/${region}/checkout`,
  streams: 4,
  baseRatePerMin: 40,
  format: 'json',
  seasonality: { peakHourLocal: 13.5, troughRatio: 0.18, weekendFactor: 0.62 },
  errorShare: 0.0035,
  flows: [
    {
      name: 'api request',
      weight: 30,
      run: (c) => {
        let x = c.rng() * CHECKOUT_ROUTE_TOTAL;
        let route = CHECKOUT_ROUTES[0];
        for (const r of CHECKOUT_ROUTES) if ((x -= r.w) < 0) { route = r; break; }
        checkoutRequest(c, route.method, route.path(c), route.ms, 200);
      },
    },
    {
      name: 'place order',
      weight: 8,
      run: (c) => {
        const u = user(c.rng);
        const orderId = `ord_${hex(c.rng, 10)}`;
        const total = amount(c.rng, 64);
        const cur = currency(c.rng, c.region);
        checkoutRequest(c, 'POST', '/v1/orders', 180, 201, (reqId) => {
          emitJson(c, 'INFO', 'order created', { req_id: reqId, order_id: orderId, user: u.email, items: 1 + Math.floor(lognormal(c.rng, 1.5, 0.6)), total: Number(total), currency: cur });
          c.wait(int(c.rng, 2, 15));
          emitJson(c, 'INFO', 'payment requested', { req_id: reqId, order_id: orderId, payment_id: `pay_${hex(c.rng, 12)}`, amount: Number(total), currency: cur });
        });
        if (chance(c.rng, 0.6)) {
          c.wait(lognormal(c.rng, 400, 0.5));
          emitJson(c, 'INFO', 'order confirmation email queued', { order_id: orderId, user: u.email, message_id: `msg_${hex(c.rng, 20)}` });
        }
      },
    },
    {
      name: 'cart updated',
      weight: 10,
      run: (c) => {
        const u = user(c.rng);
        emitJson(c, 'INFO', 'cart updated', { cart_id: `cart_${hex(c.rng, 10)}`, user_id: u.id, sku: sku(c.rng), qty: int(c.rng, 1, 3) });
      },
    },
    {
      name: 'inventory reserved',
      weight: 6,
      run: (c) => {
        emitJson(c, 'DEBUG', 'inventory reserved', { sku: sku(c.rng), qty: int(c.rng, 1, 4), warehouse: pick(c.rng, ['wh-1', 'wh-2', 'wh-5']), latency_ms: latency(c, 14, 0.5) });
      },
    },
    {
      name: 'price computed',
      weight: 5,
      run: (c) => {
        const sub = Number(amount(c.rng, 60));
        emitJson(c, 'DEBUG', 'price computed', { cart_id: `cart_${hex(c.rng, 10)}`, subtotal: sub, discount: chance(c.rng, 0.2) ? Number((sub * 0.1).toFixed(2)) : 0, tax: Number((sub * 0.08).toFixed(2)) });
      },
    },
    {
      name: 'cache miss',
      weight: 4,
      run: (c) => emitJson(c, 'DEBUG', 'cache miss', { key: `product:${sku(c.rng)}`, ttl_s: 300 }),
    },
    {
      name: 'session refreshed',
      weight: 3,
      run: (c) => emitJson(c, 'INFO', 'session refreshed', { user_id: user(c.rng).id, session_id: `sess_${hex(c.rng, 24)}` }),
    },
    {
      name: 'coupon',
      weight: 2,
      run: (c) => {
        const code = pick(c.rng, ['SPRING10', 'WELCOME15', 'FREESHIP50', 'VIP20', 'BF2023']);
        if (code === 'BF2023') emitJson(c, 'WARN', 'coupon rejected', { code, reason: 'expired', user_id: user(c.rng).id });
        else emitJson(c, 'INFO', 'coupon applied', { code, user_id: user(c.rng).id, discount_pct: Number(code.replace(/\D/g, '')) % 50 || 10 });
      },
    },
    {
      name: 'inventory low',
      weight: 0.8,
      run: (c) => emitJson(c, 'WARN', 'inventory low', { sku: sku(c.rng), remaining: int(c.rng, 0, 4), warehouse: pick(c.rng, ['wh-1', 'wh-2', 'wh-5']) }),
    },
    {
      name: 'slow dependency',
      weight: 0.8,
      run: (c) => {
        const dependency = pick(c.rng, ['payments', 'inventory', 'pricing']);
        emitJson(c, 'WARN', 'slow downstream call', { dependency, latency_ms: latency(c, 1400, 0.3), threshold_ms: 1000 });
      },
    },
    {
      name: 'retrying payment call',
      weight: 0.4,
      run: (c) => emitJson(c, 'WARN', 'retrying downstream call', { dependency: 'payments', attempt: 2, backoff_ms: 200 }),
    },
  ],
  errorFlows: [
    {
      name: 'payment authorization failed',
      weight: 3,
      run: (c) =>
        checkoutFailedRequest(c, 'POST', '/v1/orders', 502, 900, (reqId) =>
          emitJson(c, 'ERROR', 'payment authorization failed', { req_id: reqId, order_id: `ord_${hex(c.rng, 10)}`, error: 'upstream payments returned 503 Service Unavailable' }),
        ),
    },
    {
      name: 'inventory timeout',
      weight: 2,
      run: (c) =>
        checkoutFailedRequest(c, 'POST', '/v1/cart/items', 504, 2000, (reqId) =>
          emitJson(c, 'ERROR', 'inventory service timeout', { req_id: reqId, sku: sku(c.rng), timeout_ms: 2000 }),
        ),
    },
    {
      name: 'unhandled exception',
      weight: 1,
      run: (c) =>
        checkoutFailedRequest(c, 'GET', '/v1/cart', 500, 30, (reqId) =>
          emitJson(c, 'ERROR', 'unhandled exception', {
            req_id: reqId,
            error: "TypeError: Cannot read properties of undefined (reading 'price')",
            stack: "TypeError: Cannot read properties of undefined (reading 'price')\n    at lineTotal (/app/dist/cart.js:88:31)\n    at Array.map (<anonymous>)\n    at CartService.summary (/app/dist/cart.js:54:22)",
          }),
        ),
    },
  ],
  incidentFlow: {
    name: 'db pool exhausted',
    weight: 1,
    run: (c) =>
      checkoutFailedRequest(c, 'POST', '/v1/orders', 503, 30000, (reqId) =>
        emitJson(c, 'ERROR', 'db query failed', {
          req_id: reqId,
          error: `Connection pool exhausted: timeout after 30000ms waiting for connection to db-${1 + (c.stream.index % 3)}`,
          query: 'INSERT INTO orders',
        }),
      ),
  },
  periodic: [
    {
      name: 'process metrics',
      everyMs: 60_000,
      run: (c) => {
        const heap = Math.round(lognormal(c.rng, 180, 0.1) * (1 + c.effect.intensity * 0.5));
        emitJson(c, 'DEBUG', 'process metrics', { heap_used_mb: heap, event_loop_lag_ms: latency(c, 2, 0.4), active_handles: int(c.rng, 20, 40) });
      },
    },
  ],
};

// -------------------------------------------------------------------------------------------
// payments: JVM, log4j text
// -------------------------------------------------------------------------------------------

const execThread = (c: FlowContext): string => `http-nio-8080-exec-${int(c.rng, 1, 20)}`;
const poolThread = (c: FlowContext): string => `pool-2-thread-${int(c.rng, 1, 8)}`;
const MERCHANTS = 300;

const payments: ServiceSpec = {
  name: 'payments',
  regions: ['us-east-1', 'eu-west-1'],
  logGroup: (region) => `/harbinger/${region}/payments`,
  streams: 3,
  baseRatePerMin: 28,
  format: 'text',
  seasonality: { peakHourLocal: 13.5, troughRatio: 0.15, weekendFactor: 0.58 },
  errorShare: 0.009,
  flows: [
    {
      name: 'authorize and capture',
      weight: 20,
      run: (c) => {
        const payId = `pay_${hex(c.rng, 12)}`;
        const amt = amount(c.rng, 45);
        const cur = currency(c.rng, c.region);
        const th = execThread(c);
        emitLog4j(c, 'INFO', th, 'c.h.PaymentService', `Received payment request ${payId} amount=${amt} currency=${cur} merchant=m_${skewed(c.rng, MERCHANTS, 2)}`);
        const fraudMs = latency(c, 22, 0.5);
        c.wait(fraudMs);
        emitLog4j(c, 'DEBUG', th, 'c.h.FraudCheckClient', `Fraud score for ${payId}: ${(c.rng() * 0.3).toFixed(2)} (took ${fraudMs}ms)`);
        const ms = latency(c, 95, 0.45);
        c.wait(ms);
        if (chance(c.rng, 0.035)) {
          const [reason, code] = pick(c.rng, [['insufficient_funds', 51], ['do_not_honor', 5], ['expired_card', 54]] as const);
          emitLog4j(c, 'WARN', th, 'c.h.PaymentService', `Payment ${payId} declined by issuer: ${reason} code=${code} latency=${ms}ms`);
          return;
        }
        emitLog4j(c, 'INFO', th, 'c.h.PaymentService', `Authorized payment ${payId} amount=${amt} currency=${cur} latency=${ms}ms`);
        c.wait(lognormal(c.rng, 2500, 0.5));
        const pt = poolThread(c);
        emitLog4j(c, 'INFO', pt, 'c.h.PaymentService', `Captured payment ${payId} amount=${amt} currency=${cur}`);
        c.wait(int(c.rng, 3, 40));
        emitLog4j(c, 'INFO', pt, 'c.h.LedgerWriter', `Ledger entry le_${hex(c.rng, 10)} written for ${payId} (2 rows)`);
      },
    },
    {
      name: 'webhook',
      weight: 6,
      run: (c) => {
        const evt = `evt_${hex(c.rng, 14)}`;
        const th = `webhook-dispatcher-${int(c.rng, 1, 4)}`;
        const type = pick(c.rng, ['payment.captured', 'payment.captured', 'payment.refunded', 'payment.failed']);
        emitLog4j(c, 'DEBUG', th, 'c.h.WebhookDispatcher', `Dispatching ${type} ${evt} to https://hooks.merchant-${skewed(c.rng, MERCHANTS, 2)}.example.com/payments`);
        const ms = latency(c, 180, 0.6);
        c.wait(ms);
        if (chance(c.rng, 0.03)) emitLog4j(c, 'WARN', th, 'c.h.WebhookDispatcher', `Webhook ${evt} delivery failed status=503 attempt=1, retrying in 30s`);
        else emitLog4j(c, 'INFO', th, 'c.h.WebhookDispatcher', `Webhook ${evt} delivered status=200 attempt=1 latency=${ms}ms`);
      },
    },
    {
      name: 'refund',
      weight: 1.5,
      run: (c) => {
        const rf = `rf_${hex(c.rng, 10)}`;
        const th = execThread(c);
        emitLog4j(c, 'INFO', th, 'c.h.RefundService', `Refund ${rf} initiated for pay_${hex(c.rng, 12)} amount=${amount(c.rng, 30)}`);
        const ms = latency(c, 240, 0.4);
        c.wait(ms);
        emitLog4j(c, 'INFO', th, 'c.h.RefundService', `Refund ${rf} completed in ${ms}ms`);
      },
    },
    {
      name: 'token vault lookup',
      weight: 1.5,
      run: (c) => emitLog4j(c, 'DEBUG', execThread(c), 'c.h.TokenVault', `Resolved card token tok_${hex(c.rng, 16)} brand=${pick(c.rng, ['visa', 'mastercard', 'amex'])} last4=${int(c.rng, 1000, 9999)} in ${latency(c, 6, 0.4)}ms`),
    },
    {
      name: 'fraud slow',
      weight: 0.3,
      run: (c) => emitLog4j(c, 'WARN', execThread(c), 'c.h.FraudCheckClient', `Fraud check slow for pay_${hex(c.rng, 12)}: ${latency(c, 1400, 0.2)}ms (threshold 1000ms)`),
    },
    {
      name: 'currency rates',
      weight: 0.3,
      run: (c) => emitLog4j(c, 'INFO', 'scheduling-1', 'c.h.CurrencyRateCache', `Refreshed ${int(c.rng, 30, 34)} currency rates from ecb in ${latency(c, 140, 0.3)}ms`),
    },
  ],
  errorFlows: [
    {
      name: 'acquirer timeout',
      weight: 2,
      run: (c) => {
        const payId = `pay_${hex(c.rng, 12)}`;
        const th = execThread(c);
        emitLog4j(c, 'INFO', th, 'c.h.PaymentService', `Received payment request ${payId} amount=${amount(c.rng, 45)} currency=${currency(c.rng, c.region)} merchant=m_${skewed(c.rng, MERCHANTS, 2)}`);
        c.wait(5000);
        emitLog4j(
          c,
          'ERROR',
          th,
          'c.h.PaymentService',
          `Authorization failed for ${payId}: acquirer timeout after 5000ms\njava.net.SocketTimeoutException: Read timed out\n\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:278)\n\tat com.harbinger.payments.AcquirerClient.authorize(AcquirerClient.java:112)\n\tat com.harbinger.payments.PaymentService.authorize(PaymentService.java:87)`,
        );
      },
    },
    {
      name: 'ledger deadlock',
      weight: 1,
      run: (c) => emitLog4j(c, 'ERROR', poolThread(c), 'c.h.LedgerWriter', `Failed to write ledger entry for pay_${hex(c.rng, 12)}: deadlock detected, retry 1/3`),
    },
  ],
  incidentFlow: {
    name: 'connection pool exhausted',
    weight: 1,
    run: (c) => {
      const payId = `pay_${hex(c.rng, 12)}`;
      const th = execThread(c);
      emitLog4j(c, 'INFO', th, 'c.h.PaymentService', `Received payment request ${payId} amount=${amount(c.rng, 45)} currency=${currency(c.rng, c.region)} merchant=m_${skewed(c.rng, MERCHANTS, 2)}`);
      c.wait(30000 + int(c.rng, 0, 40));
      emitLog4j(c, 'ERROR', th, 'c.h.PaymentRepository', `Connection pool exhausted: timeout after 30000ms waiting for connection to db-${1 + (c.stream.index % 3)}`);
    },
  },
  periodic: [
    {
      name: 'hikari pool stats',
      everyMs: 30_000,
      run: (c) => {
        // The pool saturates when the database is slow (latency incidents), not for other failures.
        const i = c.effect.intensity;
        const saturated = i > 0.3 && (c.effect.incident === 'error_burst_latency' || c.effect.incident === 'latency');
        const active = saturated ? 10 : int(c.rng, 0, 4);
        const waiting = active === 10 ? Math.round(int(c.rng, 5, 40) * i) : 0;
        emitLog4j(c, 'DEBUG', 'HikariPool-1 housekeeper', 'c.z.h.p.HikariPool', `HikariPool-1 - Pool stats (total=10, active=${active}, idle=${10 - active}, waiting=${waiting})`);
      },
    },
  ],
};

// -------------------------------------------------------------------------------------------
// gateway: nginx, combined access log + request time (and nginx error_log lines on stderr)
// -------------------------------------------------------------------------------------------

const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  'ShopApp/5.12.1 (iOS 17.4; iPhone15,2)',
  'ShopApp/5.12.0 (Android 14; SM-S918B)',
  'okhttp/4.12.0',
];
const HOST = 'api.shop.example.com';
const REFERER = `https://shop.example.com/`;
const ASSET_HASH = 'a91f3c2e';
const QUERIES = ['shoes', 'jacket', 'backpack', 'headphones', 'coffee', 'lamp', 'desk', 'socks'];

interface Route {
  method: string;
  path: (c: FlowContext) => string;
  ms: number;
  bytes: number;
  w: number;
  static?: boolean;
  /** Success status (default 200). */
  ok?: number;
}
const GATEWAY_ROUTES: Route[] = [
  { method: 'GET', path: (c) => `/api/v1/products?page=${1 + skewed(c.rng, 20, 3)}&limit=24`, ms: 60, bytes: 14000, w: 14 },
  { method: 'GET', path: (c) => `/api/v1/products/${sku(c.rng)}`, ms: 35, bytes: 3200, w: 18 },
  { method: 'GET', path: (c) => `/api/v1/search?q=${pick(c.rng, QUERIES)}&page=1`, ms: 120, bytes: 9000, w: 5 },
  { method: 'GET', path: () => '/api/v1/cart', ms: 30, bytes: 1500, w: 9 },
  { method: 'POST', path: () => '/api/v1/cart/items', ms: 50, bytes: 600, w: 5, ok: 201 },
  { method: 'POST', path: () => '/api/v1/auth/refresh', ms: 40, bytes: 900, w: 4 },
  { method: 'GET', path: () => `/static/js/app.${ASSET_HASH}.js`, ms: 2, bytes: 245000, w: 5, static: true },
  { method: 'GET', path: () => `/static/css/main.${ASSET_HASH}.css`, ms: 1, bytes: 38000, w: 3, static: true },
  { method: 'GET', path: () => '/favicon.ico', ms: 1, bytes: 4286, w: 1, static: true },
];
const GATEWAY_ROUTE_TOTAL = GATEWAY_ROUTES.reduce((s, r) => s + r.w, 0);

function accessStatus(rng: Rng, route: Route): number {
  const r = rng();
  if (route.static) return r < 0.3 ? 304 : r < 0.305 ? 404 : 200;
  if (r < 0.008) return 404;
  if (r < 0.016) return 401;
  if (r < 0.019) return 429;
  if (r < 0.021) return 499;
  return route.ok ?? 200;
}

function gatewayRequest(c: FlowContext, route: Route, ip: string, ua: string, status?: number): void {
  const ms = route.static ? Math.max(0, Math.round(lognormal(c.rng, route.ms, 0.6))) : latency(c, route.ms, 0.55);
  const s = status ?? accessStatus(c.rng, route);
  c.wait(ms);
  const bytes = s === 304 ? 0 : s >= 400 ? int(c.rng, 60, 180) : Math.round(lognormal(c.rng, route.bytes, route.static ? 0.01 : 0.4));
  emitAccess(c, { ip, method: route.method, path: route.path(c), status: s, bytes, referer: route.static || chance(c.rng, 0.5) ? REFERER : undefined, userAgent: ua, requestTimeMs: ms });
}

/** Upstream failure: nginx error_log line then the 502/504 access line. */
function gatewayUpstreamFailure(c: FlowContext, status: 502 | 503 | 504, error: (req: string, upstream: string) => string, ms: number): void {
  const route = pick(c.rng, GATEWAY_ROUTES.slice(0, 6));
  const path = route.path(c);
  const ip = clientIp(c.rng);
  const upstream = `10.0.${10 + (c.stream.index % 4)}.${int(c.rng, 4, 60)}:8080`;
  c.wait(ms);
  emitNginxError(c, 'error', `${error(`${route.method} ${path} HTTP/1.1`, upstream)}, client: ${ip}, server: ${HOST}, request: "${route.method} ${path} HTTP/1.1", upstream: "http://${upstream}${path.split('?')[0]}", host: "${HOST}"`);
  emitAccess(c, { ip, method: route.method, path, status, bytes: status === 504 ? 167 : 157, userAgent: pick(c.rng, UAS), requestTimeMs: ms });
}

const gateway: ServiceSpec = {
  name: 'gateway',
  regions: ['us-east-1', 'eu-west-1'],
  logGroup: (region) => `/harbinger/${region}/gateway`,
  streams: 3,
  baseRatePerMin: 60,
  format: 'access',
  seasonality: { peakHourLocal: 14, troughRatio: 0.22, weekendFactor: 0.7 },
  errorShare: 0.0025,
  flows: [
    {
      name: 'single request',
      weight: 30,
      run: (c) => {
        let x = c.rng() * GATEWAY_ROUTE_TOTAL;
        let route = GATEWAY_ROUTES[0];
        for (const r of GATEWAY_ROUTES) if ((x -= r.w) < 0) { route = r; break; }
        gatewayRequest(c, route, clientIp(c.rng), pick(c.rng, UAS));
      },
    },
    {
      name: 'product page',
      weight: 8,
      run: (c) => {
        const ip = clientIp(c.rng);
        const ua = pick(c.rng, UAS);
        const s = sku(c.rng);
        const ms = latency(c, 35, 0.5);
        c.wait(ms);
        emitAccess(c, { ip, method: 'GET', path: `/api/v1/products/${s}`, status: 200, bytes: Math.round(lognormal(c.rng, 3200, 0.3)), referer: REFERER, userAgent: ua, requestTimeMs: ms });
        c.wait(int(c.rng, 20, 300));
        const ims = Math.round(lognormal(c.rng, 3, 0.5));
        emitAccess(c, { ip, method: 'GET', path: `/images/products/${s}.webp`, status: 200, bytes: Math.round(lognormal(c.rng, 48000, 0.5)), referer: REFERER, userAgent: ua, requestTimeMs: ims });
      },
    },
    {
      name: 'checkout then order',
      weight: 2,
      run: (c) => {
        const ip = clientIp(c.rng);
        const ua = pick(c.rng, UAS);
        const ms = latency(c, 350, 0.45);
        c.wait(ms);
        const order = `ord_${hex(c.rng, 10)}`;
        emitAccess(c, { ip, method: 'POST', path: '/api/v1/checkout', status: 201, bytes: int(c.rng, 300, 420), referer: REFERER, userAgent: ua, requestTimeMs: ms });
        c.wait(lognormal(c.rng, 1500, 0.4));
        const ms2 = latency(c, 30, 0.4);
        c.wait(ms2);
        emitAccess(c, { ip, method: 'GET', path: `/api/v1/orders/${order}`, status: 200, bytes: int(c.rng, 1800, 2600), referer: REFERER, userAgent: ua, requestTimeMs: ms2 });
      },
    },
    {
      name: 'login',
      weight: 3,
      run: (c) => {
        const ip = clientIp(c.rng);
        const ua = pick(c.rng, UAS);
        const ms = latency(c, 90, 0.5);
        const failed = chance(c.rng, 0.06);
        c.wait(ms);
        emitAccess(c, { ip, method: 'POST', path: '/api/v1/auth/login', status: failed ? 401 : 200, bytes: failed ? 92 : int(c.rng, 1100, 1300), referer: REFERER, userAgent: ua, requestTimeMs: ms });
      },
    },
    {
      name: 'upstream slow warning',
      weight: 0.15,
      run: (c) => emitNginxError(c, 'warn', `an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/${int(c.rng, 1, 9)}/${int(c.rng, 10, 99)}/00000${int(c.rng, 10000, 99999)} while reading upstream, client: ${clientIp(c.rng)}, server: ${HOST}, request: "GET /api/v1/products?page=1&limit=24 HTTP/1.1", host: "${HOST}"`),
    },
  ],
  errorFlows: [
    {
      name: 'upstream timeout',
      weight: 2,
      run: (c) => gatewayUpstreamFailure(c, 504, () => 'upstream timed out (110: Connection timed out) while reading response header from upstream', 60000),
    },
    {
      name: 'upstream reset',
      weight: 1,
      run: (c) => gatewayUpstreamFailure(c, 502, () => 'recv() failed (104: Connection reset by peer) while reading response header from upstream', latency(c, 20, 0.5)),
    },
  ],
  incidentFlow: {
    name: 'no live upstreams',
    weight: 1,
    run: (c) => gatewayUpstreamFailure(c, 502, () => 'no live upstreams while connecting to upstream', latency(c, 2, 0.4)),
  },
  periodic: [
    {
      name: 'health check',
      everyMs: 30_000,
      run: (c) => emitAccess(c, { ip: `10.0.${c.stream.index}.${200 + (c.stream.index % 50)}`, method: 'GET', path: '/healthz', status: 200, bytes: 2, userAgent: 'ELB-HealthChecker/2.0', requestTimeMs: 1 }),
    },
  ],
};

// -------------------------------------------------------------------------------------------
// auth: Go, logfmt
// -------------------------------------------------------------------------------------------

const auth: ServiceSpec = {
  name: 'auth',
  regions: ['us-east-1', 'eu-west-1'],
  logGroup: (region) => `/harbinger/${region}/auth`,
  streams: 2,
  baseRatePerMin: 30,
  format: 'kv',
  seasonality: { peakHourLocal: 12.5, troughRatio: 0.2, weekendFactor: 0.6 },
  errorShare: 0.005,
  flows: [
    {
      name: 'login',
      weight: 6,
      run: (c) => {
        const u = user(c.rng);
        const ip = clientIp(c.rng);
        const reqId = hex(c.rng, 16);
        emitKv(c, 'debug', 'login attempt', { user: u.email, ip, request_id: reqId });
        const ms = latency(c, 85, 0.5);
        c.wait(ms);
        if (chance(c.rng, 0.06)) {
          emitKv(c, 'warn', 'login failed', { user: u.email, ip, reason: 'invalid_password', attempt: int(c.rng, 1, 3), request_id: reqId });
          return;
        }
        const method = pick(c.rng, ['password', 'password', 'sso', 'passkey']);
        emitKv(c, 'info', 'login succeeded', { user_id: u.id, ip, method, mfa: method === 'password', duration_ms: ms, request_id: reqId });
        if (method === 'password' && chance(c.rng, 0.3)) {
          c.wait(int(c.rng, 1, 5));
          emitKv(c, 'info', 'mfa challenge sent', { user_id: u.id, channel: pick(c.rng, ['totp', 'sms']), request_id: reqId });
          c.wait(lognormal(c.rng, 12000, 0.5));
          emitKv(c, 'info', 'mfa verified', { user_id: u.id, request_id: reqId });
        }
        c.wait(int(c.rng, 1, 8));
        emitKv(c, 'info', 'session created', { user_id: u.id, session_id: hex(c.rng, 32), ttl_s: 3600 });
      },
    },
    {
      name: 'token refresh',
      weight: 18,
      run: (c) => emitKv(c, 'info', 'token refreshed', { user_id: user(c.rng).id, client_id: pick(c.rng, ['web', 'ios', 'android']), duration_ms: latency(c, 18, 0.5) }),
    },
    {
      name: 'token validate',
      weight: 6,
      run: (c) => emitKv(c, 'debug', 'token validated', { sub: user(c.rng).id, scope: pick(c.rng, ['orders:read cart:write', 'orders:read', 'profile:read']), duration_ms: latency(c, 3, 0.4) }),
    },
    {
      name: 'token issued',
      weight: 2,
      run: (c) => emitKv(c, 'debug', 'access token issued', { sub: user(c.rng).id, token: `eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.${hex(c.rng, 24)}`, expires_in: 900 }),
    },
    {
      name: 'token expired',
      weight: 1.5,
      run: (c) => emitKv(c, 'warn', 'token expired', { sub: user(c.rng).id, expired_s_ago: int(c.rng, 1, 600) }),
    },
    {
      name: 'logout',
      weight: 2,
      run: (c) => emitKv(c, 'info', 'session revoked', { user_id: user(c.rng).id, session_id: hex(c.rng, 32), reason: 'logout' }),
    },
    {
      name: 'jwks cache',
      weight: 2,
      run: (c) => emitKv(c, 'debug', 'jwks cache hit', { kid: `k${int(c.rng, 1, 3)}` }),
    },
    {
      name: 'rate limited',
      weight: 0.4,
      run: (c) => emitKv(c, 'warn', 'rate limit exceeded', { ip: clientIp(c.rng), limit: '20/min', route: '/login' }),
    },
    {
      name: 'password reset',
      weight: 0.5,
      run: (c) => {
        const u = user(c.rng);
        emitKv(c, 'info', 'password reset requested', { user: u.email, request_id: hex(c.rng, 16) });
        c.wait(latency(c, 120, 0.3));
        emitKv(c, 'info', 'password reset email sent', { user: u.email, provider: 'ses' });
      },
    },
    {
      name: 'user registered',
      weight: 0.4,
      run: (c) => emitKv(c, 'info', 'user registered', { user_id: `u_${int(c.rng, 10000000, 99999999)}`, user: user(c.rng).email, plan: 'free' }),
    },
  ],
  errorFlows: [
    {
      name: 'ldap bind failed',
      weight: 1,
      run: (c) => emitKv(c, 'error', 'ldap bind failed', { err: `LDAP Result Code 200 "Network Error": dial tcp 10.0.4.${int(c.rng, 10, 20)}:636: i/o timeout`, duration_ms: 5000 }),
    },
    {
      name: 'session store',
      weight: 1,
      run: (c) => emitKv(c, 'error', 'failed to persist session', { user_id: user(c.rng).id, err: 'redis: connection pool timeout' }),
    },
  ],
  incidentFlow: {
    name: 'db pool exhausted',
    weight: 1,
    run: (c) => {
      c.wait(30000);
      emitKv(c, 'error', 'database query failed', { err: `Connection pool exhausted: timeout after 30000ms waiting for connection to db-${1 + (c.stream.index % 2)}`, query: 'select_user_by_email', duration_ms: 30000 });
    },
  },
  periodic: [
    {
      name: 'jwks refresh',
      everyMs: 300_000,
      run: (c) => emitKv(c, 'info', 'jwks refreshed', { keys: 3, duration_ms: latency(c, 40, 0.3) }),
    },
  ],
};

/**
 * The demo's services: checkout (JSON), payments (log4j text), gateway (nginx access) and auth
 * (logfmt), each in us-east-1 and eu-west-1: 8 partitions, about 40 events/min each on average
 * before `scale`.
 */
export const DEFAULT_SERVICES: ServiceSpec[] = [checkout, payments, gateway, auth];

/** Standard-time UTC offsets (hours) used for region-local seasonality; unknown regions use 0. */
export const REGION_UTC_OFFSET_HOURS: Readonly<Record<string, number>> = {
  'us-east-1': -5,
  'us-east-2': -5,
  'us-west-1': -8,
  'us-west-2': -8,
  'ca-central-1': -5,
  'sa-east-1': -3,
  'eu-west-1': 0,
  'eu-west-2': 0,
  'eu-central-1': 1,
  'eu-north-1': 1,
  'ap-south-1': 5.5,
  'ap-southeast-1': 8,
  'ap-southeast-2': 10,
  'ap-northeast-1': 9,
};

/**
 * Returns a copy of `spec` with overrides, e.g. `withOverrides(DEFAULT_SERVICES[0], { regions: ['eu-west-1'] })`.
 */
export function withOverrides(spec: ServiceSpec, overrides: Partial<ServiceSpec>): ServiceSpec {
  return { ...spec, ...overrides };
}
