/**
 * LogHub 2k template-mining benchmark: grouping accuracy of {@link DrainMiner} (default options)
 * against the ground-truth EventIds, next to the published Drain numbers.
 *
 * Run directly: `npx tsx bench/templates.ts [dataDir]`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DrainMiner, type DrainOptions } from '../functions/core/templates';

/** Published Drain grouping accuracy on LogHub 2k (He et al. 2017 / Zhu et al. 2019). */
export const PUBLISHED_DRAIN: Readonly<Record<string, number>> = {
  HDFS: 0.998,
  Hadoop: 0.948,
  Spark: 0.92,
  Zookeeper: 0.967,
  BGL: 0.963,
  HPC: 0.887,
  Thunderbird: 0.955,
  Windows: 0.997,
  Linux: 0.69,
  Android: 0.911,
  HealthApp: 0.78,
  Apache: 1.0,
  Proxifier: 0.527,
  OpenSSH: 0.788,
  OpenStack: 0.733,
  Mac: 0.787,
};

/** One system's result. */
export interface SystemResult {
  system: string;
  accuracy: number;
  /** Published Drain accuracy for comparison (NaN when unknown). */
  drain: number;
  templates: number;
  lines: number;
}

/** Whole benchmark result. */
export interface TemplateBenchResult {
  skipped: boolean;
  reason?: string;
  systems: SystemResult[];
  mean: number;
  drainMean: number;
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Parses RFC 4180 CSV (quoted fields with commas, doubled quotes and newlines).
 * @returns rows of fields
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field.length > 0 || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * Grouping accuracy: a line counts as correct when the set of lines grouped with it equals the set
 * of lines sharing its ground-truth id.
 */
export function groupingAccuracy(predicted: string[], truth: string[]): number {
  if (predicted.length !== truth.length) throw new Error('groupingAccuracy: length mismatch');
  if (predicted.length === 0) return 1;
  const byPred = new Map<string, number[]>();
  predicted.forEach((p, i) => {
    const list = byPred.get(p);
    if (list) list.push(i);
    else byPred.set(p, [i]);
  });
  const truthSize = new Map<string, number>();
  for (const t of truth) truthSize.set(t, (truthSize.get(t) ?? 0) + 1);
  let correct = 0;
  for (const lines of byPred.values()) {
    const t0 = truth[lines[0]];
    if (lines.every((i) => truth[i] === t0) && truthSize.get(t0) === lines.length) correct += lines.length;
  }
  return correct / predicted.length;
}

/** Mines one system's Content column; groups lines by the final template of the cluster each joined. */
export function evaluateSystem(system: string, csvText: string, options?: DrainOptions): SystemResult {
  const rows = parseCsv(csvText);
  const header = rows[0] ?? [];
  const ci = header.indexOf('Content');
  const ei = header.indexOf('EventId');
  if (ci < 0 || ei < 0) throw new Error(`${system}: CSV lacks Content/EventId columns`);
  const data = rows.slice(1).filter((r) => r.length > Math.max(ci, ei));
  const miner = new DrainMiner(options);
  const clusterOf = data.map((r) => miner.add(r[ci]).clusterId);
  const finalTemplate = new Map<number, string>();
  for (const t of miner.templates()) finalTemplate.set(t.clusterId, t.template);
  const predicted = clusterOf.map((id) => finalTemplate.get(id) ?? `evicted:${id}`);
  const truth = data.map((r) => r[ei]);
  return {
    system,
    accuracy: groupingAccuracy(predicted, truth),
    drain: PUBLISHED_DRAIN[system] ?? Number.NaN,
    templates: new Set(predicted).size,
    lines: data.length,
  };
}

/**
 * Runs the benchmark over every `<S>/<S>_2k.log_structured.csv` under dataDir.
 * @param dataDir - LogHub folder; relative paths resolve against the repo root
 */
export async function runTemplateBench(dataDir = '../shared/data/loghub'): Promise<TemplateBenchResult> {
  const dir = resolve(REPO_ROOT, dataDir);
  if (!existsSync(dir)) return { skipped: true, reason: `LogHub data not found at ${dir}`, systems: [], mean: 0, drainMean: 0 };
  const systems: SystemResult[] = [];
  for (const name of readdirSync(dir).sort()) {
    const file = join(dir, name, `${name}_2k.log_structured.csv`);
    if (!existsSync(file)) continue;
    systems.push(evaluateSystem(name, readFileSync(file, 'utf8')));
  }
  if (systems.length === 0) return { skipped: true, reason: `no <S>/<S>_2k.log_structured.csv under ${dir}`, systems, mean: 0, drainMean: 0 };
  const mean = systems.reduce((s, r) => s + r.accuracy, 0) / systems.length;
  const known = systems.filter((r) => !Number.isNaN(r.drain));
  const drainMean = known.length ? known.reduce((s, r) => s + r.drain, 0) / known.length : Number.NaN;
  return { skipped: false, systems, mean, drainMean };
}

function printTable(result: TemplateBenchResult): void {
  if (result.skipped) {
    console.log(`template bench skipped: ${result.reason}`);
    return;
  }
  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(`${pad('system', 12)} ${pad('accuracy', 9)} ${pad('drain', 7)} ${pad('delta', 7)} ${pad('templates', 9)} lines`);
  for (const r of result.systems) {
    const d = r.accuracy - r.drain;
    console.log(
      `${pad(r.system, 12)} ${pad(r.accuracy.toFixed(3), 9)} ${pad(r.drain.toFixed(3), 7)} ${pad((d >= 0 ? '+' : '') + d.toFixed(3), 7)} ${pad(String(r.templates), 9)} ${r.lines}`,
    );
  }
  console.log(`${pad('mean', 12)} ${pad(result.mean.toFixed(3), 9)} ${pad(result.drainMean.toFixed(3), 7)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runTemplateBench(process.argv[2]).then(printTable, (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
