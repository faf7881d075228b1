import { describe, expect, it } from 'vitest';
import { scenarioReport } from '../../functions/core/synth/report';
import type { IncidentLabel } from '../../functions/core/synth/incidents';

const T = Date.UTC(2026, 10, 16, 15, 0);
const MIN = 60_000;
const labels: IncidentLabel[] = [
  { partition: 'a#r', start: T + 10 * MIN, end: T + 20 * MIN, kind: 'error_burst' },
  { partition: 'b#r', start: T + 30 * MIN, end: T + 40 * MIN, kind: 'silent' },
];

describe('scenarioReport', () => {
  it('matches anomalies to incidents within the grace period and measures the delay', () => {
    const anomalies = [
      { partition: 'a#r', windowStart: T + 12 * MIN },
      { partition: 'a#r', windowStart: T + 25 * MIN }, // 5 min after the end: still the incident's
      { partition: 'a#r', windowStart: T + 26 * MIN }, // too late: false
      { partition: 'b#r', windowStart: T + 12 * MIN }, // wrong partition: false
    ];
    const r = scenarioReport(labels, anomalies, { start: T, end: T + 60 * MIN }, ['a#r', 'b#r']);
    expect(r.incidents.map((i) => [i.detected, i.delayMin, i.anomalies])).toEqual([
      [true, 2, 2],
      [false, null, 0],
    ]);
    expect(r.recall).toBe(0.5);
    expect(r.precision).toBe(0.5);
    expect(r.falseAnomalies).toBe(2);
    // 2 partitions x 60 min minus 16 busy minutes each (10, then 5 grace minutes and the one at
    // end + grace inclusive) = 88 clean minutes.
    expect(r.cleanPartitionHours).toBeCloseTo(88 / 60, 12);
    expect(r.falseAlertsPerPartitionHour).toBeCloseTo(2 / (88 / 60), 12);
    expect(r.meanDelayMin).toBe(2);
  });

  it('a clean run with no anomaly is perfect, with nothing to detect', () => {
    const r = scenarioReport([], [], { start: T, end: T + 60 * MIN }, ['a#r']);
    expect(r).toMatchObject({ recall: 1, precision: 1, falseAlertsPerPartitionHour: 0, meanDelayMin: null, cleanPartitionHours: 1 });
  });
});

describe('scenarioReport: prediction lead time', () => {
  const anomalies = [
    { partition: 'a#r', windowStart: T + 14 * MIN },
    { partition: 'b#r', windowStart: T + 31 * MIN },
  ];
  it('measures minutes from the first warning before the first detection; later warnings do not count', () => {
    const predictions = [
      { partition: 'a#r', issuedAt: T + 5 * MIN }, // 9 min before a#r's first detection
      { partition: 'a#r', issuedAt: T + 8 * MIN },
      { partition: 'b#r', issuedAt: T + 35 * MIN }, // after b#r was detected: no lead
      { partition: 'b#r', issuedAt: T - 45 * MIN }, // before the stretch's lead window of b#r's incident (30 - 60 = -30)
    ];
    const r = scenarioReport(labels, anomalies, { start: T, end: T + 60 * MIN }, ['a#r', 'b#r'], { predictions });
    expect(r.incidents.map((i) => i.leadMin)).toEqual([9, null]);
    expect(r.warnedBeforeDetection).toBe(1);
    expect(r.meanLeadMin).toBe(9);
    expect(r.predictions).toBe(4);
    expect(r.falsePredictions).toBe(1);
  });

  it('without predictions nothing is warned', () => {
    const r = scenarioReport(labels, anomalies, { start: T, end: T + 60 * MIN }, ['a#r', 'b#r']);
    expect(r).toMatchObject({ warnedBeforeDetection: 0, meanLeadMin: null, predictions: 0, falsePredictions: 0 });
  });
});
