/**
 * The window closer's work for one tick, independent of Lambda wiring: close every window past its
 * end + allowed lateness, turn the already-summed item into features, score them against the
 * partition's profile and recent history, store anomalies and features, publish alerts.
 */
import { attributesToPartial, emptyPartial, windowFeatures } from '../core/features';
import { scoreWindow } from '../core/scoring';
import { groupWindow, type IncidentChange } from '../core/incidents';
import { forEachLimit } from '../core/concurrency';
import { anomalyKey, EVENTS, windowFeaturesKey } from '../core/resources';
import type { Anomaly, Profile, WindowFeatures } from '../core/types';
import type { WindowStore, OpenWindowRef } from '../adapters/window-store';
import type { DetectorState, DetectorStateStore } from '../adapters/detector-state-store';
import type { ObjectStore } from '../adapters/object-store';
import type { AlertPublisher } from '../adapters/alert-publisher';

/** What the closer needs from the outside world. */
export interface CloserDeps {
  windows: WindowStore;
  states: DetectorStateStore;
  profileOf: (partition: string) => Promise<Profile | null>;
  /** Partitions that have a published profile (checked for silent minutes). */
  knownPartitions: () => Promise<string[]>;
  anomalies: ObjectStore;
  datasets: ObjectStore;
  alerts: AlertPublisher;
  /** Allowed lateness after a window's end before it is closed, ms. */
  latenessMs: number;
  /** Most recent windows kept per partition for sliding-window detectors. */
  recentWindows?: number;
  /** At most this many missing (silent) minutes are filled per partition per tick. */
  maxGapMinutes?: number;
  /** Quiet windows before an incident resolves (alert grouping). Default 5. */
  quietWindows?: number;
  /** Partitions closed concurrently. Default 4. */
  partitionConcurrency?: number;
}

/** One alert sent: an incident opened, escalated or resolved. */
export interface SentAlert {
  change: IncidentChange;
  incidentId: string;
  partition: string;
  kind: string;
  severity: string;
  windowStart: number;
}

/** What one tick did. */
export interface CloseSummary {
  now: number;
  windowsClosed: number;
  silentWindows: number;
  windowsScored: number;
  /** Every anomalous window (all stored in S3). */
  anomalies: Anomaly[];
  /** The alerts actually sent: grouped per partition and kind (see core/incidents). */
  alerts: SentAlert[];
  partitions: number;
  unscoredNoProfile: number;
}

const MINUTE = 60_000;

/**
 * Closes and scores every window that ended at least `latenessMs` before `now`.
 * Idempotent: closing is conditional, anomaly and feature keys are deterministic, and the detector
 * state only moves forward.
 */
export async function closeWindows(now: number, deps: CloserDeps): Promise<CloseSummary> {
  const cutoff = now - MINUTE - deps.latenessMs;
  const refs = await deps.windows.listClosable(cutoff);
  const byPartition = new Map<string, OpenWindowRef[]>();
  for (const r of refs) {
    const list = byPartition.get(r.partition) ?? [];
    list.push(r);
    byPartition.set(r.partition, list);
  }
  for (const p of await deps.knownPartitions()) if (!byPartition.has(p)) byPartition.set(p, []);

  const summary: CloseSummary = {
    now,
    windowsClosed: 0,
    silentWindows: 0,
    windowsScored: 0,
    anomalies: [],
    alerts: [],
    partitions: byPartition.size,
    unscoredNoProfile: 0,
  };
  // Partitions are independent (each has its own state item); windows within one stay in order.
  const queue = [...byPartition.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  await forEachLimit(queue, deps.partitionConcurrency ?? 4, ([partition, open]) => closePartition(partition, open, cutoff, now, deps, summary));
  return summary;
}

async function closePartition(
  partition: string,
  open: OpenWindowRef[],
  cutoff: number,
  now: number,
  deps: CloserDeps,
  summary: CloseSummary,
): Promise<void> {
  const state = await deps.states.get(partition);
  const profile = await deps.profileOf(partition);
  const openStarts = new Set(open.map((r) => r.windowStart));

  // Minutes to consider, in order: every open window, plus (once the partition has history) every
  // minute since the last scored one that has no open item: silent minutes, or windows a crashed
  // run closed but never scored.
  const starts = new Set(openStarts);
  if (state.lastWindowStart > 0 && profile) {
    const maxGap = deps.maxGapMinutes ?? 60;
    const from = Math.max(state.lastWindowStart + MINUTE, cutoff - (maxGap - 1) * MINUTE);
    for (let t = from; t <= cutoff; t += MINUTE) starts.add(t);
  }
  const ordered = [...starts].filter((t) => t > state.lastWindowStart).sort((a, b) => a - b);
  if (ordered.length === 0) return;

  for (const windowStart of ordered) {
    let attrs: Record<string, unknown> | null;
    if (openStarts.has(windowStart)) {
      attrs = await deps.windows.close({ partition, windowStart }, now);
      if (attrs === null) continue; // another closer took it
      summary.windowsClosed++;
    } else {
      const item = await deps.windows.read(partition, windowStart);
      if (item.openShard !== undefined) {
        attrs = await deps.windows.close({ partition, windowStart }, now);
        if (attrs === null) continue;
        summary.windowsClosed++;
      } else {
        attrs = Object.keys(item).length ? item : null;
        if (!attrs) summary.silentWindows++;
      }
    }
    const partial = attrs ? attributesToPartial(partition, windowStart, attrs) : emptyPartial(partition, windowStart);
    const features = windowFeatures(partial);
    await deps.datasets.putJson(windowFeaturesKey(partition, windowStart), features);
    if (profile) {
      const result = scoreWindow(features, { profile, recent: state.recent, rolling: state.rolling as never }, { now });
      state.rolling = result.rolling as Record<string, unknown>;
      summary.windowsScored++;
      if (result.anomaly) {
        await deps.anomalies.putJson(anomalyKey(partition, windowStart, result.anomaly.id), result.anomaly);
        summary.anomalies.push(result.anomaly);
      }
      const grouped = groupWindow(state.incidents, windowStart, result.anomaly, { quietWindows: deps.quietWindows });
      state.incidents = grouped.incidents;
      for (const g of grouped.alerts) {
        if (g.change === 'resolved') await deps.alerts.publish(EVENTS.anomalyResolved, { change: g.change, incident: g.incident });
        else await deps.alerts.publish(EVENTS.anomalyDetected, { ...g.anomaly, change: g.change, incident: g.incident });
        summary.alerts.push({
          change: g.change,
          incidentId: g.incident.id,
          partition,
          kind: g.incident.kind,
          severity: g.incident.severity,
          windowStart,
        });
      }
    } else {
      summary.unscoredNoProfile++;
    }
    pushRecent(state, features, deps.recentWindows ?? 15);
    state.lastWindowStart = windowStart;
  }
  await deps.states.put(state);
}

function pushRecent(state: DetectorState, features: WindowFeatures, keep: number): void {
  state.recent.push(features);
  if (state.recent.length > keep) state.recent.splice(0, state.recent.length - keep);
}
