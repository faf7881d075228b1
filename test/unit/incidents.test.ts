import { describe, expect, it } from 'vitest';
import { groupWindow, recordAnomaly, resolveIfQuiet, type Incident } from '../../functions/core/incidents';
import type { Anomaly, AnomalyKind, Severity } from '../../functions/core/types';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 16, 15, 0);
const anomaly = (minute: number, kind: AnomalyKind = 'error_spike', severity: Severity = 'high'): Anomaly => ({
  id: `a${minute}${kind}`,
  partition: 'checkout#us-east-1',
  windowStart: T0 + minute * MIN,
  windowEnd: T0 + (minute + 1) * MIN,
  kind,
  severity,
  probability: 0.99,
  deviations: [],
  sampleEvents: [],
  rootCauseHints: [],
  detectors: [],
  profileVersion: 1,
  modelVersion: 'statistical-v1',
  detectedAt: T0 + (minute + 2) * MIN,
});

describe('incident grouping', () => {
  it('turns a 30-minute incident into one alert, its escalations and one resolution, not 30 alerts', () => {
    let incidents: Partial<Record<AnomalyKind, Incident>> = {};
    const sent: string[] = [];
    for (let m = 0; m < 45; m++) {
      const severity: Severity = m < 5 ? 'medium' : m < 20 ? 'high' : 'critical';
      const g = groupWindow(incidents, T0 + m * MIN, m < 30 ? anomaly(m, 'error_spike', severity) : null);
      incidents = g.incidents;
      sent.push(...g.alerts.map((a) => `${m}:${a.change}:${a.incident.severity}`));
    }
    expect(sent).toEqual(['0:opened:medium', '5:escalated:high', '20:escalated:critical', '34:resolved:critical']);
    expect(incidents).toEqual({});
  });

  it('keeps one open incident per kind, each with its own lifecycle', () => {
    let incidents: Partial<Record<AnomalyKind, Incident>> = {};
    const sent: string[] = [];
    const plan: Array<AnomalyKind | null> = ['latency', 'error_spike', 'latency', 'error_spike', null, null, null, null, null, null, null];
    plan.forEach((kind, m) => {
      const g = groupWindow(incidents, T0 + m * MIN, kind ? anomaly(m, kind) : null, { quietWindows: 3 });
      incidents = g.incidents;
      sent.push(...g.alerts.map((a) => `${m}:${a.change}:${a.incident.kind}`));
    });
    expect(sent).toEqual(['0:opened:latency', '1:opened:error_spike', '5:resolved:latency', '6:resolved:error_spike']);
  });

  it('gives an incident a deterministic id and counts its windows', () => {
    const a = recordAnomaly(undefined, anomaly(0));
    const b = recordAnomaly(undefined, anomaly(0));
    expect(a.incident.id).toBe(b.incident.id);
    const c = recordAnomaly(a.incident, anomaly(1));
    expect(c.change).toBeNull();
    expect(c.incident.windows).toBe(2);
    expect(c.incident.anomalyIds).toEqual(['a0error_spike', 'a1error_spike']);
    expect(resolveIfQuiet(c.incident, T0 + 3 * MIN).change).toBeNull();
    const r = resolveIfQuiet(c.incident, T0 + 6 * MIN);
    expect(r.change).toBe('resolved');
    expect(r.incident.resolvedAt).toBe(T0 + 6 * MIN);
  });

  it('opens a new incident when the kind comes back after a resolution', () => {
    let incidents: Partial<Record<AnomalyKind, Incident>> = {};
    const sent: string[] = [];
    for (let m = 0; m < 20; m++) {
      const g = groupWindow(incidents, T0 + m * MIN, m === 0 || m === 12 ? anomaly(m) : null);
      incidents = g.incidents;
      sent.push(...g.alerts.map((a) => `${m}:${a.change}`));
    }
    expect(sent).toEqual(['0:opened', '5:resolved', '12:opened', '17:resolved']);
  });
});
