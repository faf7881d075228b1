/**
 * Live updates of the dashboard: a Server-Sent Events hub, and the alert feed, which follows the
 * local alert sink's JSONL file (EventBridge-shaped envelopes, see alert-sink.ts) and accepts
 * envelopes published directly. Predicted crossings ("Log Anomaly Predicted") arrive the same way
 * (read in ./predictions).
 */
import { open, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AlertEnvelope } from '../alert-sink';
import { EVENTS } from '../../../functions/core/resources';
import { partitionOfEnvelope, predictedCrossingOf, mergePredictions, type PredictedCrossing } from './predictions';

/** One event pushed to the page: `type` is the SSE event name, the rest its JSON data. */
export interface DashboardEvent {
  type: string;
  [key: string]: unknown;
}

/** Sends {@link DashboardEvent}s to every connected page (text/event-stream). */
export class EventHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;

  /** @param heartbeatMs - interval of keep-alive comments (default 15 s) */
  constructor(heartbeatMs = 15_000) {
    this.heartbeat = setInterval(() => {
      for (const res of this.clients) res.write(': keep-alive\n\n');
    }, heartbeatMs);
    this.heartbeat.unref();
  }

  /** Connected pages. */
  get size(): number {
    return this.clients.size;
  }

  /** Takes over a GET /api/events request and keeps it open until the page goes away. */
  attach(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    res.write(frame({ type: 'hello', at: Date.now() }));
    this.clients.add(res);
    const drop = (): void => {
      this.clients.delete(res);
    };
    req.on('close', drop);
    res.on('close', drop);
  }

  /** Sends an event to every connected page. */
  publish(event: DashboardEvent): void {
    const text = frame(event);
    for (const res of this.clients) res.write(text);
  }

  /** Ends every stream and stops the heartbeat. */
  close(): void {
    clearInterval(this.heartbeat);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}

function frame(event: DashboardEvent): string {
  const { type, ...data } = event;
  const name = String(type).replace(/[^\w.-]/g, '_');
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Options of {@link AlertFeed}. */
export interface AlertFeedOptions {
  /** JSONL file to follow (the local alert sink's), read from its start; absent: published envelopes only. */
  file?: string;
  /** Called once per new envelope (from the file or {@link AlertFeed.add}). */
  onEnvelope?: (e: AlertEnvelope) => void;
  /** How often the file is checked for new lines, ms (default 250). */
  pollMs?: number;
  /** Envelopes kept in memory, newest kept (default 5000). */
  maxKept?: number;
}

function isEnvelope(x: unknown): x is AlertEnvelope {
  const e = x as Partial<AlertEnvelope> | null;
  return typeof e === 'object' && e !== null && typeof e['detail-type'] === 'string' && typeof e.time === 'string';
}

/**
 * The alerts the dashboard knows: every envelope appended to the sink's JSONL file (followed by
 * polling its size; a file that shrinks, e.g. a new demo run, is read again from the start) plus
 * envelopes added directly. Duplicates (the same line from both paths) are kept once.
 */
export class AlertFeed {
  private readonly envelopes: AlertEnvelope[] = [];
  private readonly seen = new Set<string>();
  private readonly maxKept: number;
  private offset = 0;
  private partial = '';
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;

  constructor(private readonly options: AlertFeedOptions = {}) {
    this.maxKept = options.maxKept ?? 5000;
  }

  /** Reads what the file holds now, then follows it. */
  async start(): Promise<void> {
    if (!this.options.file) return;
    await this.poll();
    this.timer = setInterval(() => void this.poll(), this.options.pollMs ?? 250);
    this.timer.unref();
  }

  /** Stops following the file. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.reading;
  }

  /**
   * Adds an envelope (e.g. published by an in-process caller).
   * @returns false when it was known already
   */
  add(e: AlertEnvelope): boolean {
    const key = JSON.stringify([e['detail-type'], e.time, e.detail]);
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    this.envelopes.push(e);
    if (this.envelopes.length > this.maxKept) {
      const dropped = this.envelopes.splice(0, this.envelopes.length - this.maxKept);
      for (const d of dropped) this.seen.delete(JSON.stringify([d['detail-type'], d.time, d.detail]));
    }
    this.options.onEnvelope?.(e);
    return true;
  }

  /** Envelopes, oldest first, optionally of one partition; at most `limit`, the newest. */
  list(partition?: string, limit = 200): AlertEnvelope[] {
    const all = partition ? this.envelopes.filter((e) => partitionOfEnvelope(e) === partition) : this.envelopes;
    return all.slice(Math.max(0, all.length - limit));
  }

  /**
   * Predicted crossings (of one partition, or all), one per prediction: the events of one
   * prediction (opened, then came true or expired) merged into its latest state; by crossing time.
   */
  predicted(partition?: string): PredictedCrossing[] {
    const events: PredictedCrossing[] = [];
    for (const e of this.envelopes) {
      const p = predictedCrossingOf(e);
      if (p && (partition === undefined || p.partition === partition)) events.push(p);
    }
    return mergePredictions(events);
  }

  /** Whether any "Log Anomaly Predicted" event reached the feed (readable or not). */
  anyPredicted(): boolean {
    return this.envelopes.some((e) => e['detail-type'] === EVENTS.anomalyPredicted);
  }

  /** Time of the newest envelope (its `time`), epoch ms, or null when none is known. */
  newestTime(): number | null {
    let newest = -Infinity;
    for (const e of this.envelopes) {
      const t = Date.parse(e.time);
      if (Number.isFinite(t) && t > newest) newest = t;
    }
    return Number.isFinite(newest) ? newest : null;
  }

  /** Checks the file once (never overlapping itself). */
  poll(): Promise<void> {
    this.reading ??= this.readNew().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async readNew(): Promise<void> {
    const file = this.options.file;
    if (!file) return;
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      return; // not written yet
    }
    if (size < this.offset) {
      // Truncated or replaced (a new run): read it again from the start.
      this.offset = 0;
      this.partial = '';
    }
    if (size === this.offset) return;
    const fh = await open(file, 'r');
    try {
      const length = Math.min(size - this.offset, 8 * 1024 * 1024);
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, this.offset);
      this.offset += bytesRead;
      const text = this.partial + buf.subarray(0, bytesRead).toString('utf8');
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        try {
          const e = JSON.parse(line) as unknown;
          if (isEnvelope(e)) this.add(e);
        } catch {
          // A line that is not JSON is skipped; the sink writes whole lines.
        }
      }
    } finally {
      await fh.close();
    }
  }
}
