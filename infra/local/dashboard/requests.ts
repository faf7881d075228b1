/**
 * Validation of the dashboard API's inputs: query parameters and the sensitivity body. Every
 * refusal is a {@link DashboardRequestError} whose message says what to send instead.
 */

/** A request the dashboard API refuses; `status` is the HTTP status to answer with. */
export class DashboardRequestError extends Error {
  override readonly name = 'DashboardRequestError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Lowest and highest sensitivity the API accepts (the profile store's range). */
export const SENSITIVITY_RANGE = { min: 0.5, max: 0.9999 } as const;

/** Longest time range one series or scores request may cover, minutes (one day). */
export const MAX_RANGE_MINUTES = 1440;

/** Default length of a series when only one end (or neither) is given, minutes. */
export const DEFAULT_RANGE_MINUTES = 60;

const PARTITION = /^[^#\s]{1,100}#[^#\s]{1,100}(#[^#\s]{1,100})?$/;

/**
 * A partition key as given by a client: `service#region` or `service#region#segment`.
 * @throws DashboardRequestError 400 when missing or malformed
 */
export function parsePartition(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new DashboardRequestError(400, 'partition is required: pass e.g. partition=checkout%23us-east-1 (service#region[#segment], "#" URL-encoded as %23).');
  }
  if (!PARTITION.test(value)) {
    throw new DashboardRequestError(400, `partition "${value.slice(0, 80)}" is not a partition key: use service#region or service#region#segment (no spaces).`);
  }
  return value;
}

/** A requested time range, epoch ms; `to` undefined means "up to the newest stored window". */
export interface RangeQuery {
  from?: number;
  to?: number;
  minutes: number;
}

function parseTime(name: string, value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(n)) throw new DashboardRequestError(400, `${name} must be epoch milliseconds or an ISO time, got "${value.slice(0, 40)}".`);
  return n;
}

/**
 * `from`, `to` (epoch ms or ISO) and `minutes` (1..{@link MAX_RANGE_MINUTES}) of a query.
 * @throws DashboardRequestError 400 on unreadable values, from >= to, or a range over a day
 */
export function parseRange(params: URLSearchParams): RangeQuery {
  const from = parseTime('from', params.get('from'));
  const to = parseTime('to', params.get('to'));
  const m = params.get('minutes');
  let minutes = DEFAULT_RANGE_MINUTES;
  if (m !== null && m !== '') {
    minutes = Number(m);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_RANGE_MINUTES) {
      throw new DashboardRequestError(400, `minutes must be a whole number in 1..${MAX_RANGE_MINUTES}, got "${m.slice(0, 20)}".`);
    }
  }
  if (from !== undefined && to !== undefined) {
    if (from >= to) throw new DashboardRequestError(400, 'from must be before to.');
    if (to - from > MAX_RANGE_MINUTES * 60_000) throw new DashboardRequestError(400, `from..to covers more than ${MAX_RANGE_MINUTES} minutes: ask for a day at most.`);
    minutes = Math.ceil((to - from) / 60_000);
  }
  return { from, to, minutes };
}

/** Body of POST /api/sensitivity. */
export interface SensitivityRequest {
  partition: string;
  level: number;
}

/**
 * Parses and validates the body of POST /api/sensitivity: `{"partition": "...", "level": 0.99}`.
 * @throws DashboardRequestError 400 on malformed JSON, a missing or malformed partition, or a
 *   level that is not a number in {@link SENSITIVITY_RANGE}
 */
export function parseSensitivityBody(text: string): SensitivityRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new DashboardRequestError(400, 'The body must be JSON like {"partition": "checkout#us-east-1", "level": 0.99}.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DashboardRequestError(400, 'The body must be a JSON object like {"partition": "checkout#us-east-1", "level": 0.99}.');
  }
  const b = body as Record<string, unknown>;
  const partition = parsePartition(b.partition);
  const level = b.level;
  if (typeof level !== 'number' || !Number.isFinite(level)) {
    throw new DashboardRequestError(400, `level must be a number (a probability such as 0.99), got ${JSON.stringify(level ?? null)?.slice(0, 40)}.`);
  }
  if (level < SENSITIVITY_RANGE.min || level > SENSITIVITY_RANGE.max) {
    throw new DashboardRequestError(
      400,
      `level ${level} is out of range: use a probability in [${SENSITIVITY_RANGE.min}, ${SENSITIVITY_RANGE.max}] (default 0.95; higher = fewer, surer alerts).`,
    );
  }
  return { partition, level };
}

/**
 * A `limit` query parameter: a whole number in 1..max, `fallback` when absent.
 * @throws DashboardRequestError 400 for anything else
 */
export function parseLimit(value: string | null, fallback: number, max: number): number {
  if (value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new DashboardRequestError(400, `limit must be a whole number in 1..${max}, got "${value.slice(0, 20)}".`);
  return n;
}
