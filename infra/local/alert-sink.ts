import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AlertPublisher } from '../../functions/adapters/alert-publisher';
import type { Anomaly } from '../../functions/core/types';

/** Options for {@link LocalAlertSink}. */
export interface LocalAlertSinkOptions {
  /** JSONL file every event is appended to (one EventBridge-shaped envelope per line). */
  file: string;
  /** Terminal printer; omit to stay quiet. */
  print?: (line: string) => void;
  /** Simulated clock, for the envelope's time. */
  now?: () => number;
}

/** An EventBridge-shaped envelope as written to the JSONL file. */
export interface AlertEnvelope {
  source: string;
  'detail-type': string;
  time: string;
  detail: unknown;
}

const SEVERITY_COLOUR: Record<string, string> = { low: '36', medium: '33', high: '31', critical: '1;31' };

/**
 * The embedded runtime's alert destination (the local stand-in for the EventBridge bus, as the
 * architecture describes): prints a line per alert and appends the full event to a JSONL file.
 */
export class LocalAlertSink implements AlertPublisher {
  readonly events: AlertEnvelope[] = [];

  constructor(private readonly options: LocalAlertSinkOptions) {
    mkdirSync(dirname(options.file), { recursive: true });
  }

  async publish(detailType: string, detail: object): Promise<void> {
    const envelope: AlertEnvelope = {
      source: 'harbinger',
      'detail-type': detailType,
      time: new Date((this.options.now ?? Date.now)()).toISOString(),
      detail,
    };
    this.events.push(envelope);
    appendFileSync(this.options.file, JSON.stringify(envelope) + '\n');
    if (this.options.print && detailType === 'Log Anomaly Detected') this.options.print(formatAnomaly(detail as Anomaly));
  }
}

/** One terminal line for an anomaly. */
export function formatAnomaly(a: Anomaly): string {
  const colour = process.stdout.isTTY ? SEVERITY_COLOUR[a.severity] ?? '0' : '';
  const sev = colour ? `\x1b[${colour}m${a.severity.toUpperCase()}\x1b[0m` : a.severity.toUpperCase();
  const when = new Date(a.windowStart).toISOString().slice(11, 16);
  const top = a.rootCauseHints[0] ?? a.deviations[0]?.feature ?? '';
  return `  ALERT ${sev} ${a.partition} ${when}Z ${a.kind} p=${a.probability.toFixed(3)}  ${top}`;
}
