import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AlertPublisher } from '../../functions/adapters/alert-publisher';
import type { Anomaly } from '../../functions/core/types';
import type { Incident, IncidentChange } from '../../functions/core/incidents';
import { EVENTS } from '../../functions/core/resources';

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
  private readonly listeners: Array<(envelope: AlertEnvelope) => Promise<void> | void> = [];

  /**
   * Delivers every later event to `listener` too (the local stand-in for the bus's rules: the
   * remediation rules, the dashboard's live updates). A listener's error is printed, never thrown
   * back at the publisher (EventBridge does not fail PutEvents when a target fails).
   */
  subscribe(listener: (envelope: AlertEnvelope) => Promise<void> | void): void {
    this.listeners.push(listener);
  }

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
    for (const listener of this.listeners) {
      try {
        await listener(envelope);
      } catch (err) {
        this.options.print?.(`  ! a rule target failed on "${detailType}": ${(err as Error).message}`);
      }
    }
    if (!this.options.print) return;
    if (detailType === EVENTS.anomalyDetected) this.options.print(formatAnomaly(detail as AlertDetail));
    else if (detailType === EVENTS.anomalyResolved) this.options.print(formatResolved((detail as { incident: Incident }).incident));
  }
}

/** The detail of a "Log Anomaly Detected" event: the anomaly, and the incident it opened or escalated. */
export type AlertDetail = Anomaly & { change?: IncidentChange; incident?: Incident };

/** One terminal line for an opened or escalated incident. */
export function formatAnomaly(a: AlertDetail): string {
  const colour = process.stdout.isTTY ? SEVERITY_COLOUR[a.severity] ?? '0' : '';
  const sev = colour ? `\x1b[${colour}m${a.severity.toUpperCase()}\x1b[0m` : a.severity.toUpperCase();
  const when = new Date(a.windowStart).toISOString().slice(11, 16);
  const top = a.rootCauseHints[0] ?? a.deviations[0]?.feature ?? '';
  const change = a.change === 'escalated' ? 'ESCALATED' : 'ALERT';
  return `  ${change} ${sev} ${a.partition} ${when}Z ${a.kind} p=${a.probability.toFixed(3)}  ${top}`;
}

/** One terminal line for a resolved incident. */
export function formatResolved(i: Incident): string {
  const from = new Date(i.openedAt).toISOString().slice(11, 16);
  const to = new Date(i.lastSeenAt).toISOString().slice(11, 16);
  return `  RESOLVED ${i.partition} ${i.kind}: ${i.windows} anomalous window${i.windows === 1 ? '' : 's'} ${from}Z..${to}Z, peak ${i.severity}`;
}
