/**
 * NAB benchmark of the online series scorer (models/series.ts): scores every NAB data file under
 * ../shared/data/nab/data (each row from earlier rows only; the model's first fit at the end of
 * NAB's probation period, as NAB's own detectors are told it), writes `timestamp,anomaly_score`
 * results at the same relative paths, runs the NAB scorer (../shared/tools/nab_score.py: threshold
 * swept, normalised against the null and perfect detectors) for the three profiles, and computes
 * per-file window precision/recall/F1 at the alert level 0.95. Files are scored on two worker
 * threads. Skips cleanly when the data (or python3) is absent.
 *
 * Run directly: `npx tsx bench/nab.ts [dataDir]`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { scoreSeries, SERIES_ALERT_LEVEL } from '../models/series';
import { parseSeriesCsv, parseTimestamp } from '../infra/local/series-command';

/** Published standard-profile scores on this 20-file subset (threshold swept on the subset). */
export const PUBLISHED_NAB_SUBSET: ReadonlyArray<{ detector: string; standard: number }> = [
  { detector: 'ARTime', standard: 79.7 },
  { detector: 'CAD OSE', standard: 72.7 },
  { detector: 'Numenta HTM', standard: 72.3 },
  { detector: 'KNN CAD', standard: 60.1 },
  { detector: 'Random Cut Forest', standard: 53.5 },
  { detector: 'Windowed Gaussian', standard: 37.7 },
];

/** NAB scorer output for one profile. */
export interface NabProfileScore {
  profile: string;
  score: number;
  threshold: number;
  windowsDetected: number;
  windows: number;
  fpRows: number;
}

/** Window-level detection quality of one file at the alert level. */
export interface NabFileResult {
  file: string;
  rows: number;
  seconds: number;
  /** Windows (outside probation) with at least one row >= 0.95. */
  tp: number;
  /** Windows without one. */
  fn: number;
  /** Rows >= 0.95 outside every window (after probation). */
  fp: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Whole benchmark result. */
export interface NabBenchResult {
  skipped: boolean;
  reason?: string;
  resultsDir?: string;
  files: NabFileResult[];
  /** NAB scores per profile (empty when the scorer could not run). */
  profiles: NabProfileScore[];
  scorerSkipped?: string;
  totals?: { rows: number; seconds: number; rowsPerSecond: number; tp: number; fn: number; fp: number; precision: number; recall: number; f1: number };
  published: typeof PUBLISHED_NAB_SUBSET;
}

/** Options of {@link runNabBench}. */
export interface NabBenchOptions {
  /** NAB folder (with data/ and labels/); relative paths resolve against the repo root. */
  dataDir?: string;
  /** NAB scorer script. */
  scorer?: string;
  /** Where result CSVs go (default: a fresh temp folder). */
  resultsDir?: string;
  /** Worker threads (default 2). */
  workers?: number;
  /** Only files whose relative path contains one of these. */
  only?: readonly string[];
  log?: (line: string) => void;
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** NAB's probation: the first 15% of a file, at most 750 rows. */
export function nabProbation(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 750);
}

interface FileJob {
  rel: string;
  dataFile: string;
  outFile: string;
}

/** Scores one data file and writes its results CSV; returns rows, seconds and the scores. */
async function scoreFile(job: FileJob): Promise<{ rel: string; rows: number; seconds: number; stamps: string[]; scores: number[] }> {
  const started = Date.now();
  const parsed = parseSeriesCsv(readFileSync(job.dataFile, 'utf8'));
  const scores = await scoreSeries(parsed.rows, { warmupRows: Math.max(20, nabProbation(parsed.rows.length)) });
  mkdirSync(dirname(job.outFile), { recursive: true });
  writeFileSync(job.outFile, 'timestamp,anomaly_score\n' + scores.map((s, i) => `${parsed.stamps[i]},${s.probability}`).join('\n') + '\n');
  return { rel: job.rel, rows: parsed.rows.length, seconds: (Date.now() - started) / 1000, stamps: parsed.stamps, scores: scores.map((s) => s.probability) };
}

/** Window precision/recall/F1 of one file at `level` (detections in probation ignored). */
export function windowMetrics(stamps: readonly string[], scores: readonly number[], windows: ReadonlyArray<[string, string]>, level = SERIES_ALERT_LEVEL): { tp: number; fn: number; fp: number } {
  const times = stamps.map(parseTimestamp);
  const first = nabProbation(stamps.length);
  const spans = windows.map(([a, b]) => [parseTimestamp(a), parseTimestamp(b)] as const).filter(([, end]) => times.findIndex((t) => t >= end) >= first);
  const hit = new Array<boolean>(spans.length).fill(false);
  let fp = 0;
  for (let i = first; i < scores.length; i++) {
    if (scores[i] < level) continue;
    const w = spans.findIndex(([a, b]) => times[i] >= a && times[i] <= b);
    if (w >= 0) hit[w] = true;
    else fp++;
  }
  const tp = hit.filter(Boolean).length;
  return { tp, fn: spans.length - tp, fp };
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);
const f1Of = (p: number, r: number): number => (p + r > 0 ? (2 * p * r) / (p + r) : 0);

/** Runs the NAB scorer on a results folder; null with a reason when it cannot. */
function runScorer(script: string, results: string, windowsFile: string): { profiles: NabProfileScore[] } | { skipped: string } {
  if (!existsSync(script)) return { skipped: `NAB scorer not found at ${script}` };
  const json = join(results, 'nab-score.json');
  const r = spawnSync('python3', [script, '--results', results, '--windows', windowsFile, '--json', json], { encoding: 'utf8' });
  if (r.error) return { skipped: `python3 not available (${r.error.message})` };
  if (r.status !== 0) return { skipped: `NAB scorer failed: ${(r.stderr || r.stdout).trim().slice(0, 300)}` };
  const doc = JSON.parse(readFileSync(json, 'utf8')) as {
    profiles: Record<string, { score: number; threshold: number; counts: { fp: number; windows: number; windows_detected: number } }>;
  };
  return {
    profiles: Object.entries(doc.profiles).map(([profile, p]) => ({
      profile,
      score: p.score,
      threshold: p.threshold,
      windowsDetected: p.counts.windows_detected,
      windows: p.counts.windows,
      fpRows: p.counts.fp,
    })),
  };
}

/** Scores jobs on `workers` threads (each thread runs this module with workerData.nabJobs). */
async function scoreAll(jobs: FileJob[], workers: number, log: (l: string) => void): Promise<Awaited<ReturnType<typeof scoreFile>>[]> {
  const groups: FileJob[][] = Array.from({ length: Math.max(1, Math.min(workers, jobs.length)) }, () => []);
  // Longest files first, round robin: the two threads finish together.
  const sized = jobs.map((j) => ({ j, size: readFileSync(j.dataFile).length })).sort((a, b) => b.size - a.size);
  sized.forEach(({ j }, i) => groups[i % groups.length].push(j));
  const parts = await Promise.all(
    groups.map(
      (group) =>
        new Promise<Awaited<ReturnType<typeof scoreFile>>[]>((done, fail) => {
          const out: Awaited<ReturnType<typeof scoreFile>>[] = [];
          const worker = new Worker(new URL('../infra/local/ts-worker.mjs', import.meta.url), {
            workerData: { entry: import.meta.url, nabJobs: group },
          });
          worker.on('message', (m: Awaited<ReturnType<typeof scoreFile>> | { error: string }) => {
            if ('error' in m) fail(new Error(m.error));
            else {
              out.push(m);
              log(`  ${m.rel.padEnd(58)} ${String(m.rows).padStart(6)} rows ${m.seconds.toFixed(1).padStart(6)} s`);
              if (out.length === group.length) {
                done(out);
                void worker.terminate();
              }
            }
          });
          worker.on('error', fail);
          worker.on('exit', (code) => {
            if (out.length < group.length) fail(new Error(`NAB worker exited (code ${code}) after ${out.length} of ${group.length} files`));
          });
        }),
    ),
  );
  return parts.flat();
}

/** Runs the NAB benchmark. */
export async function runNabBench(options: NabBenchOptions = {}): Promise<NabBenchResult> {
  const log = options.log ?? (() => {});
  const root = resolve(REPO_ROOT, options.dataDir ?? '../shared/data/nab');
  const dataDir = join(root, 'data');
  const windowsFile = join(root, 'labels', 'combined_windows.json');
  const base = { files: [], profiles: [], published: PUBLISHED_NAB_SUBSET };
  if (!existsSync(dataDir) || !existsSync(windowsFile)) return { ...base, skipped: true, reason: `NAB data not found at ${root} (data/ and labels/combined_windows.json)` };
  const labels = JSON.parse(readFileSync(windowsFile, 'utf8')) as Record<string, Array<[string, string]>>;
  const resultsDir = options.resultsDir ? resolve(options.resultsDir) : mkdtempSync(join(tmpdir(), 'harbinger-nab-'));
  const jobs: FileJob[] = [];
  for (const folder of readdirSync(dataDir).sort()) {
    const dir = join(dataDir, folder);
    if (!existsSync(dir) || !readdirSync(dir, { withFileTypes: true }).length) continue;
    for (const f of readdirSync(dir).sort()) {
      const rel = `${folder}/${f}`;
      if (!f.endsWith('.csv') || !(rel in labels)) continue;
      if (options.only && !options.only.some((o) => rel.includes(o))) continue;
      jobs.push({ rel, dataFile: join(dir, f), outFile: join(resultsDir, rel) });
    }
  }
  if (jobs.length === 0) return { ...base, skipped: true, reason: `no labelled NAB data file under ${dataDir}` };
  const started = Date.now();
  const scored = (await scoreAll(jobs, options.workers ?? 2, log)).sort((a, b) => a.rel.localeCompare(b.rel));
  const seconds = (Date.now() - started) / 1000;
  const files: NabFileResult[] = scored.map((s) => {
    const m = windowMetrics(s.stamps, s.scores, labels[s.rel] ?? []);
    const precision = ratio(m.tp, m.tp + m.fp);
    const recall = ratio(m.tp, m.tp + m.fn);
    return { file: s.rel, rows: s.rows, seconds: s.seconds, ...m, precision, recall, f1: f1Of(precision, recall) };
  });
  const sum = (k: 'tp' | 'fn' | 'fp' | 'rows'): number => files.reduce((a, f) => a + f[k], 0);
  const precision = ratio(sum('tp'), sum('tp') + sum('fp'));
  const recall = ratio(sum('tp'), sum('tp') + sum('fn'));
  const totals = { rows: sum('rows'), seconds, rowsPerSecond: sum('rows') / seconds, tp: sum('tp'), fn: sum('fn'), fp: sum('fp'), precision, recall, f1: f1Of(precision, recall) };
  const scorer = runScorer(resolve(REPO_ROOT, options.scorer ?? '../shared/tools/nab_score.py'), resultsDir, windowsFile);
  return {
    skipped: false,
    resultsDir,
    files,
    profiles: 'profiles' in scorer ? scorer.profiles : [],
    ...('skipped' in scorer ? { scorerSkipped: scorer.skipped } : {}),
    totals,
    published: PUBLISHED_NAB_SUBSET,
  };
}

/** Prints a result table. */
export function printNabResult(r: NabBenchResult, print: (line: string) => void = (l) => console.log(l)): void {
  if (r.skipped) {
    print(`  skipped: ${r.reason}`);
    return;
  }
  print(`  ${'file'.padEnd(50)} ${'rows'.padStart(6)}  TP FN  FP  prec  rec   F1   (windows at ${SERIES_ALERT_LEVEL})`);
  for (const f of r.files) {
    print(`  ${f.file.padEnd(50)} ${String(f.rows).padStart(6)} ${String(f.tp).padStart(3)} ${String(f.fn).padStart(2)} ${String(f.fp).padStart(3)}  ${f.precision.toFixed(2)}  ${f.recall.toFixed(2)}  ${f.f1.toFixed(2)}`);
  }
  const t = r.totals!;
  print(`  all: ${t.tp}/${t.tp + t.fn} windows, ${t.fp} false-positive rows; precision ${t.precision.toFixed(2)}, recall ${t.recall.toFixed(2)}, F1 ${t.f1.toFixed(2)}; ${t.rows.toLocaleString('en-US')} rows in ${t.seconds.toFixed(0)} s (${Math.round(t.rowsPerSecond)} rows/s, 2 threads)`);
  if (r.scorerSkipped) print(`  NAB scorer skipped: ${r.scorerSkipped}`);
  for (const p of r.profiles) {
    print(`  NAB ${p.profile.padEnd(19)} ${p.score.toFixed(1).padStart(5)}  (threshold ${p.threshold.toFixed(4)}, ${p.windowsDetected}/${p.windows} windows, ${p.fpRows} FP rows)`);
  }
  const std = r.profiles.find((p) => p.profile === 'standard');
  if (std) {
    const bars = [...r.published, { detector: 'Harbinger series VAE', standard: std.score }].sort((a, b) => b.standard - a.standard);
    print(`  standard profile vs published on this subset: ${bars.map((b) => `${b.detector} ${b.standard.toFixed(1)}`).join(' | ')}`);
  }
  print(`  results: ${r.resultsDir}`);
}

// Worker thread: score the files handed over, one message per file.
if (!isMainThread && (workerData as { nabJobs?: FileJob[] } | null)?.nabJobs) {
  for (const job of (workerData as { nabJobs: FileJob[] }).nabJobs) {
    try {
      parentPort!.postMessage(await scoreFile(job));
    } catch (err) {
      parentPort!.postMessage({ error: `${job.rel}: ${(err as Error).message}` });
    }
  }
}

if (isMainThread && process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runNabBench({ dataDir: process.argv[2], log: (l) => console.log(l) }).then(
    (r) => printNabResult(r),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
