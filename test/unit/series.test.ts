/**
 * The online metric-series scorer (models/series.ts): finds a spike and a level shift in a seasonal
 * series, stays quiet elsewhere, and never looks ahead.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../models/backend';
import {
  EmpiricalTail,
  ScoreCalibrator,
  SERIES_ALERT_LEVEL,
  SeriesInputError,
  SeriesScorer,
  probabilityOfZ,
  scoreSeries,
  zOfLogTail,
  type SeriesRow,
  type SeriesScore,
} from '../../models/series';
import { mulberry32, normal } from '../../functions/core/random';

const STEP = 5 * 60_000;
const T0 = Date.UTC(2024, 0, 1);
const ROWS = 1500;
const WARMUP = 600; // a little over two days of 5-minute rows
const SPIKE = 900;
const SHIFT = 1200;

/** A daily sine with noise; a spike at SPIKE and a level shift from SHIFT on. */
function series(rows = ROWS, seed = 1): SeriesRow[] {
  const rng = mulberry32(seed);
  return Array.from({ length: rows }, (_, i) => {
    let v = 50 + 10 * Math.sin((2 * Math.PI * i) / 288) + normal(rng);
    if (i === SPIKE) v += 12;
    if (i >= SHIFT) v += 8;
    return { timestamp: T0 + i * STEP, values: [v] };
  });
}

describe('score calibration helpers', () => {
  it('EmpiricalTail: share of past scores at least as high, exponential beyond the 90th percentile', () => {
    const t = new EmpiricalTail(1000);
    for (let i = 0; i < 1000; i++) t.push(i);
    expect(Math.exp(t.logTail(500))).toBeCloseTo(0.5, 2);
    expect(t.logTail(2000)).toBeLessThan(t.logTail(1200));
    expect(t.logTail(1200)).toBeLessThan(Math.log(0.01));
    // Oldest values leave first.
    for (let i = 0; i < 1000; i++) t.push(5000 + i);
    expect(t.size).toBe(1000);
    expect(Math.exp(t.logTail(500))).toBe(1);
  });

  it('maps z to a probability with 0.95 at the alert tail, monotone and inverse-consistent', () => {
    expect(probabilityOfZ(zOfLogTail(Math.log(1e-3)), 1e-3)).toBeCloseTo(SERIES_ALERT_LEVEL, 6);
    expect(probabilityOfZ(0, 1e-3)).toBeLessThan(0.3);
    let prev = -1;
    for (let z = 0; z < 30; z += 0.5) {
      const p = probabilityOfZ(z, 1e-3);
      expect(p).toBeGreaterThanOrEqual(prev);
      prev = p;
    }
  });

  it('damps the rows after an alert unless they escalate', () => {
    const c = new ScoreCalibrator({ cooldownRows: 10, escalation: 3, minHistory: 20 });
    c.seed(Array.from({ length: 500 }, (_, i) => Math.sin(i) * 2));
    const alert = c.next(40);
    expect(alert.probability).toBeGreaterThanOrEqual(SERIES_ALERT_LEVEL);
    expect(c.next(40).probability).toBeLessThan(SERIES_ALERT_LEVEL);
    expect(c.next(1e6).probability).toBeGreaterThanOrEqual(SERIES_ALERT_LEVEL);
  });
});

describe('the online series scorer', () => {
  let scores: SeriesScore[];
  const rows = series();

  beforeAll(async () => {
    await initBackend();
    scores = await scoreSeries(rows, { warmupRows: WARMUP });
  }, 60_000);

  it('gives one score per row, in [0, 1], with the fallback before the first fit', () => {
    expect(scores).toHaveLength(ROWS);
    for (const s of scores) {
      expect(s.probability).toBeGreaterThanOrEqual(0);
      expect(s.probability).toBeLessThanOrEqual(1);
    }
    expect(scores.slice(0, WARMUP).every((s) => s.phase === 'warmup')).toBe(true);
    expect(scores.slice(WARMUP).every((s) => s.phase === 'model' && Number.isFinite(s.raw))).toBe(true);
  });

  it('alerts on the spike and on the level shift', () => {
    expect(scores[SPIKE].probability).toBeGreaterThanOrEqual(SERIES_ALERT_LEVEL);
    const shift = scores.slice(SHIFT, SHIFT + 6).map((s) => s.probability);
    expect(Math.max(...shift)).toBeGreaterThanOrEqual(SERIES_ALERT_LEVEL);
  });

  it('stays low elsewhere', () => {
    const normalRows = scores.filter((_, i) => i >= WARMUP && !(i >= SPIKE && i < SPIKE + 12) && !(i >= SHIFT && i < SHIFT + 60));
    const alerts = normalRows.filter((s) => s.probability >= SERIES_ALERT_LEVEL).length;
    expect(alerts).toBeLessThanOrEqual(2);
    const median = normalRows.map((s) => s.probability).sort((a, b) => a - b)[normalRows.length >> 1];
    expect(median).toBeLessThan(0.5);
  });

  it('never looks ahead: the first rows score the same whether or not more rows follow', async () => {
    const n = 1000;
    const alone = await scoreSeries(rows.slice(0, n), { warmupRows: WARMUP, blockRows: 333 });
    expect(alone.map((s) => s.probability)).toEqual(scores.slice(0, n).map((s) => s.probability));
    expect(alone.map((s) => s.raw)).toEqual(scores.slice(0, n).map((s) => s.raw));
  }, 60_000);

  it('is deterministic row by row: push() gives what pushMany() gives', async () => {
    const n = 700;
    const scorer = await SeriesScorer.create({ columns: 1, warmupRows: WARMUP });
    try {
      const one = rows.slice(0, n).map((r) => scorer.push(r).probability);
      expect(one).toEqual(scores.slice(0, n).map((s) => s.probability));
    } finally {
      scorer.dispose();
    }
  }, 60_000);

  it('scores columns jointly: a broken relation between two in-range columns alerts', async () => {
    const rng = mulberry32(9);
    const BREAK = 850;
    const two: SeriesRow[] = Array.from({ length: 1000 }, (_, i) => {
      const a = 20 + 8 * Math.sin((2 * Math.PI * i) / 97) + normal(rng) * 0.5;
      const b = 2 * a + normal(rng) * 0.5 + (i === BREAK ? 8 : 0);
      return { timestamp: T0 + i * 60_000, values: [a, b] };
    });
    const bValues = two.slice(0, BREAK).map((r) => r.values[1]);
    // Each column on its own is unremarkable at the break...
    expect(two[BREAK].values[1]).toBeLessThan(Math.max(...bValues));
    expect(two[BREAK].values[1]).toBeGreaterThan(Math.min(...bValues));
    const s = await scoreSeries(two, { warmupRows: 400 });
    // ...together they are not.
    expect(s[BREAK].probability).toBeGreaterThanOrEqual(SERIES_ALERT_LEVEL);
    expect(s.slice(400).filter((x, i) => i + 400 !== BREAK && x.probability >= SERIES_ALERT_LEVEL).length).toBeLessThanOrEqual(2);
  }, 60_000);

  it('rejects rows with the wrong number of values', async () => {
    const scorer = await SeriesScorer.create({ columns: 2, warmupRows: 50 });
    expect(() => scorer.push({ timestamp: T0, values: [1] })).toThrow(SeriesInputError);
    scorer.dispose();
  });
});
