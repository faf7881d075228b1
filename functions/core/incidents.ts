/**
 * Alert grouping: anomalies of one partition and kind form ONE open incident. The incident is
 * announced when it opens, again only when its severity escalates, and resolved once its kind has
 * been quiet for a number of windows, so a 30-minute outage is one alert plus escalations and a
 * resolution, not 30 alerts. Pure: the window closer keeps incidents in its per-partition state.
 */
import { stableHash } from './hash';
import type { Anomaly, AnomalyKind, Severity } from './types';

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** An incident: consecutive anomalies of one kind in one partition. */
export interface Incident {
  /** Deterministic: partition, kind and the window that opened it. */
  id: string;
  partition: string;
  kind: AnomalyKind;
  status: 'open' | 'resolved';
  /** Highest severity so far (what was last announced). */
  severity: Severity;
  peakProbability: number;
  /** Window starts, epoch ms. */
  openedAt: number;
  lastSeenAt: number;
  resolvedAt?: number;
  /** Anomalous windows so far. */
  windows: number;
  /** Ids of the anomalies, most recent last (at most 20 kept). */
  anomalyIds: string[];
}

/** Why an alert goes out. */
export type IncidentChange = 'opened' | 'escalated' | 'resolved';

/** Options of the grouping. */
export interface IncidentOptions {
  /** Windows of the kind without an anomaly before the incident resolves (default 5). */
  quietWindows?: number;
}

const MINUTE = 60_000;

/**
 * Adds an anomaly to the open incident of its kind (or opens one).
 * @returns the updated incident, and `opened` / `escalated` when an alert should go out, else null
 */
export function recordAnomaly(open: Incident | undefined, a: Anomaly): { incident: Incident; change: IncidentChange | null } {
  if (!open || open.status !== 'open') {
    return {
      incident: {
        id: stableHash(`${a.partition}|${a.kind}|${a.windowStart}`),
        partition: a.partition,
        kind: a.kind,
        status: 'open',
        severity: a.severity,
        peakProbability: a.probability,
        openedAt: a.windowStart,
        lastSeenAt: a.windowStart,
        windows: 1,
        anomalyIds: [a.id],
      },
      change: 'opened',
    };
  }
  const escalated = SEVERITY_RANK[a.severity] > SEVERITY_RANK[open.severity];
  return {
    incident: {
      ...open,
      severity: escalated ? a.severity : open.severity,
      peakProbability: Math.max(open.peakProbability, a.probability),
      lastSeenAt: Math.max(open.lastSeenAt, a.windowStart),
      windows: open.windows + 1,
      anomalyIds: [...open.anomalyIds, a.id].slice(-20),
    },
    change: escalated ? 'escalated' : null,
  };
}

/**
 * Resolves an open incident once `quietWindows` windows have passed since its last anomaly.
 * @param windowStart - the window just scored (without an anomaly of this kind)
 */
export function resolveIfQuiet(
  open: Incident,
  windowStart: number,
  options: IncidentOptions = {},
): { incident: Incident; change: IncidentChange | null } {
  const quiet = options.quietWindows ?? 5;
  if (open.status !== 'open' || windowStart - open.lastSeenAt < quiet * MINUTE) return { incident: open, change: null };
  return { incident: { ...open, status: 'resolved', resolvedAt: windowStart }, change: 'resolved' };
}

/**
 * Runs one scored window through the partition's incidents.
 * @param incidents - open incidents by kind (the closer's state); not mutated
 * @returns the new open incidents by kind, and the alerts to send (with the anomaly that caused them)
 */
export function groupWindow(
  incidents: Partial<Record<AnomalyKind, Incident>>,
  windowStart: number,
  anomaly: Anomaly | null,
  options: IncidentOptions = {},
): { incidents: Partial<Record<AnomalyKind, Incident>>; alerts: Array<{ change: IncidentChange; incident: Incident; anomaly?: Anomaly }> } {
  const next: Partial<Record<AnomalyKind, Incident>> = { ...incidents };
  const alerts: Array<{ change: IncidentChange; incident: Incident; anomaly?: Anomaly }> = [];
  if (anomaly) {
    const r = recordAnomaly(next[anomaly.kind], anomaly);
    next[anomaly.kind] = r.incident;
    if (r.change) alerts.push({ change: r.change, incident: r.incident, anomaly });
  }
  for (const [kind, inc] of Object.entries(next) as Array<[AnomalyKind, Incident]>) {
    if (anomaly && kind === anomaly.kind) continue;
    const r = resolveIfQuiet(inc, windowStart, options);
    if (r.change) {
      alerts.push({ change: r.change, incident: r.incident });
      delete next[kind];
    }
  }
  return { incidents: next, alerts };
}
