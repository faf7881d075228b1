/**
 * `harbinger score-series <csv>`: online anomaly scores for a metric series in a CSV file
 * (timestamp plus one or more value columns: CloudWatch exports, NAB data files), written as
 * `timestamp,anomaly_score` (the format NAB's scorer reads). Each row is scored from the rows before
 * it only, by models/series.ts. No AWS, no emulator.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { scoreSeries, SERIES_ALERT_LEVEL, type SeriesRow, type SeriesScore } from '../../models/series';
import { terminalProgress, silentProgress } from './progress';
import { wholeNumber } from './cli-args';

/** Thrown when a CSV cannot be scored at all (missing file, no header, unknown column, no usable row). */
export class SeriesCsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeriesCsvError';
  }
}

/** Options of {@link parseSeriesCsv}. */
export interface ParseSeriesCsvOptions {
  /** Name of the time column (default: the column named timestamp, any case; else the first column). */
  timeColumn?: string;
  /** Value columns (default: every other column). */
  columns?: readonly string[];
}

/** A row that could not be used, with its 1-based line number. */
export interface SkippedRow {
  line: number;
  reason: string;
}

/** A parsed series. */
export interface ParsedSeries {
  timeColumn: string;
  columns: string[];
  /** Rows in time order. */
  rows: SeriesRow[];
  /** The timestamp text of each row as written in the file (kept for the output). */
  stamps: string[];
  skipped: SkippedRow[];
  /** True when the file was not in time order (the rows were sorted). */
  reordered: boolean;
}

/** Splits one CSV line (RFC 4180 quotes, doubled quotes inside). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field.trim());
      field = '';
    } else field += c;
  }
  out.push(field.trim());
  return out;
}

/**
 * Epoch ms of a timestamp: ISO 8601 (a date-time without zone is UTC; a space may replace the T)
 * or a number (epoch seconds below 1e11, else epoch milliseconds). NaN when unreadable.
 */
export function parseTimestamp(text: string): number {
  const t = text.trim();
  if (t === '') return Number.NaN;
  if (/^-?\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    return Math.abs(n) < 1e11 ? n * 1000 : n;
  }
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(t);
  if (!m) return Number.NaN;
  const zone = m[3] ? (m[3].toUpperCase() === 'Z' ? 'Z' : m[3].length === 5 ? `${m[3].slice(0, 3)}:${m[3].slice(3)}` : m[3]) : 'Z';
  // Milliseconds only: JavaScript's Date rejects longer fractions in some engines.
  const time = (m[2] ?? '00:00:00').replace(/(\.\d{3})\d+$/, '$1');
  return Date.parse(`${m[1]}T${time}${zone}`);
}

/**
 * Parses a series CSV. A header is required. Rows with a bad timestamp, a missing or non-numeric
 * value or the wrong number of fields are skipped and reported (never fatal); blank lines are ignored.
 * @throws SeriesCsvError when the header is missing or names no usable column
 */
export function parseSeriesCsv(text: string, options: ParseSeriesCsvOptions = {}): ParsedSeries {
  const lines = text.split(/\r?\n/);
  const headerAt = lines.findIndex((l) => l.trim() !== '');
  if (headerAt < 0) throw new SeriesCsvError('The file is empty: expected a header line such as "timestamp,value".');
  const header = splitCsvLine(lines[headerAt].replace(/^\uFEFF/, ''));
  if (header.some((h) => /^-?\d+(\.\d+)?$/.test(h))) {
    throw new SeriesCsvError(`The first line ("${lines[headerAt].slice(0, 60)}") looks like data: add a header line such as "timestamp,value".`);
  }
  let ti = options.timeColumn ? header.indexOf(options.timeColumn) : header.findIndex((h) => h.toLowerCase() === 'timestamp');
  if (ti < 0 && options.timeColumn) throw new SeriesCsvError(`No column "${options.timeColumn}" in the header (${header.join(', ')}).`);
  if (ti < 0) ti = 0;
  const columns = options.columns?.length ? [...options.columns] : header.filter((_, i) => i !== ti);
  const ci = columns.map((c) => {
    const i = header.indexOf(c);
    if (i < 0) throw new SeriesCsvError(`No column "${c}" in the header (${header.join(', ')}).`);
    if (i === ti) throw new SeriesCsvError(`"${c}" is the time column; pick value columns with --columns.`);
    return i;
  });
  if (ci.length === 0) throw new SeriesCsvError(`No value column: the header has only "${header[ti]}".`);
  const parsed: Array<{ row: SeriesRow; stamp: string; line: number }> = [];
  const skipped: SkippedRow[] = [];
  for (let k = headerAt + 1; k < lines.length; k++) {
    if (lines[k].trim() === '') continue;
    const line = k + 1;
    const f = splitCsvLine(lines[k]);
    if (f.length !== header.length) {
      skipped.push({ line, reason: `${f.length} fields, header has ${header.length}` });
      continue;
    }
    const timestamp = parseTimestamp(f[ti]);
    if (!Number.isFinite(timestamp)) {
      skipped.push({ line, reason: `unreadable timestamp "${f[ti].slice(0, 40)}"` });
      continue;
    }
    const values = ci.map((i) => (f[i] === '' ? Number.NaN : Number(f[i])));
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      skipped.push({ line, reason: `${columns[bad]} is not a number ("${f[ci[bad]].slice(0, 40)}")` });
      continue;
    }
    parsed.push({ row: { timestamp, values }, stamp: f[ti], line });
  }
  let reordered = false;
  for (let i = 1; i < parsed.length; i++) {
    if (parsed[i].row.timestamp < parsed[i - 1].row.timestamp) {
      reordered = true;
      break;
    }
  }
  if (reordered) parsed.sort((a, b) => a.row.timestamp - b.row.timestamp || a.line - b.line);
  return { timeColumn: header[ti], columns, rows: parsed.map((p) => p.row), stamps: parsed.map((p) => p.stamp), skipped, reordered };
}

/** Rows before the first model fit for a file of `rows` rows: 15% of it (NAB's probation), 100..750. */
export function defaultWarmup(rows: number): number {
  return Math.min(750, Math.max(100, Math.floor(0.15 * rows)));
}

/** Options of {@link runScoreSeries}. */
export interface ScoreSeriesCommandOptions extends ParseSeriesCsvOptions {
  /** Output file (default: `<input name>.scores.csv` next to the input). */
  out?: string;
  /** Rows before the model's first fit (default {@link defaultWarmup}). */
  warmup?: number;
  seed?: number;
  /** Print nothing but errors. */
  quiet?: boolean;
  /** Where lines go (default console.log / console.error). */
  print?: (line: string) => void;
  printErr?: (line: string) => void;
}

/** Result of one score-series run. */
export interface ScoreSeriesSummary {
  input: string;
  out: string;
  rows: number;
  skipped: SkippedRow[];
  reordered: boolean;
  columns: string[];
  warmup: number;
  /** Rows scored at or above {@link SERIES_ALERT_LEVEL}. */
  alerts: number;
  /** Highest-scoring rows, best first (at most 5). */
  top: Array<{ timestamp: string; score: number; values: number[] }>;
  seconds: number;
}

/** The default output path for an input CSV: `<dir>/<name>.scores.csv`. */
export function defaultOutPath(input: string): string {
  const ext = extname(input);
  return join(dirname(input), `${basename(input, ext)}.scores.csv`);
}

/**
 * Reads, scores and writes one series CSV; prints progress and a summary unless quiet.
 * @throws SeriesCsvError when the file is missing or unusable
 */
export async function runScoreSeries(file: string, options: ScoreSeriesCommandOptions = {}): Promise<ScoreSeriesSummary> {
  const started = Date.now();
  const print = options.quiet ? () => {} : (options.print ?? ((l: string) => console.log(l)));
  const printErr = options.printErr ?? ((l: string) => console.error(l));
  const input = resolve(file);
  if (!existsSync(input)) throw new SeriesCsvError(`No such file: ${input}`);
  const parsed = parseSeriesCsv(readFileSync(input, 'utf8'), options);
  if (parsed.skipped.length) {
    const examples = parsed.skipped.slice(0, 3).map((s) => `line ${s.line}: ${s.reason}`).join('; ');
    printErr(`  ${parsed.skipped.length} row(s) skipped (${examples}${parsed.skipped.length > 3 ? '; ...' : ''})`);
  }
  if (parsed.rows.length === 0) throw new SeriesCsvError(`No usable row in ${input}${parsed.skipped.length ? ` (${parsed.skipped.length} skipped)` : ''}.`);
  if (parsed.reordered) printErr('  rows were not in time order: scored in time order');
  const warmup = options.warmup ?? defaultWarmup(parsed.rows.length);
  print(`Scoring ${parsed.rows.length.toLocaleString('en-US')} rows of ${parsed.columns.join(', ')} from ${input} (model fitted after ${warmup} rows, refitted as it goes; each row scored from earlier rows only)`);
  const ui = options.quiet || parsed.rows.length < 5000 ? silentProgress : terminalProgress(process.stderr);
  const bar = ui.bar('scoring', parsed.rows.length, 'rows');
  let scores: SeriesScore[];
  try {
    scores = await scoreSeries(parsed.rows, { warmupRows: warmup, seed: options.seed, onProgress: (done) => bar.update(done) });
  } finally {
    bar.stop();
  }
  const out = resolve(options.out ?? defaultOutPath(input));
  mkdirSync(dirname(out), { recursive: true });
  const csvStamp = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  writeFileSync(out, 'timestamp,anomaly_score\n' + scores.map((s, i) => `${csvStamp(parsed.stamps[i])},${s.probability.toFixed(6)}`).join('\n') + '\n');
  const order = scores.map((_, i) => i).sort((a, b) => scores[b].probability - scores[a].probability || a - b);
  const summary: ScoreSeriesSummary = {
    input,
    out,
    rows: parsed.rows.length,
    skipped: parsed.skipped,
    reordered: parsed.reordered,
    columns: parsed.columns,
    warmup,
    alerts: scores.filter((s) => s.probability >= SERIES_ALERT_LEVEL).length,
    top: order.slice(0, 5).map((i) => ({ timestamp: parsed.stamps[i], score: scores[i].probability, values: [...parsed.rows[i].values] })),
    seconds: (Date.now() - started) / 1000,
  };
  printSummary(summary, print);
  return summary;
}

function printSummary(s: ScoreSeriesSummary, print: (line: string) => void): void {
  const n = (x: number): string => x.toLocaleString('en-US');
  print(`\n  rows:    ${n(s.rows)} scored, ${n(s.skipped.length)} skipped${s.reordered ? ' (input sorted by time)' : ''}`);
  print(`  alerts:  ${n(s.alerts)} row(s) at or above ${SERIES_ALERT_LEVEL}`);
  print('  top rows:');
  const width = Math.max(9, ...s.top.map((t) => t.timestamp.length));
  for (const t of s.top) print(`    ${t.timestamp.padEnd(width)}  ${t.score.toFixed(4)}  ${s.columns.map((c, i) => `${c}=${t.values[i]}`).join(' ')}`);
  print(`  written: ${s.out} (${s.seconds.toFixed(1)} s)`);
}


/** Adds the `score-series` command to a commander program. */
export function registerSeriesCommand(program: Command): void {
  program
    .command('score-series')
    .description('score a metric series CSV (timestamp plus value columns) online with the VAE: each row from the rows before it only; writes timestamp,anomaly_score')
    .argument('<csv>', 'CSV file with a header: a time column (ISO 8601 or epoch seconds/ms) and one or more numeric columns')
    .option('--out <file>', 'where to write timestamp,anomaly_score (default: <name>.scores.csv next to the input)')
    .option('--columns <a,b>', 'value columns to score together (default: every column but the time column)', (v) => v.split(',').map((c) => c.trim()).filter(Boolean))
    .option('--time-column <name>', 'name of the time column (default: the one named "timestamp", else the first column)')
    .option('--warmup <rows>', 'rows before the model is first fitted (default: 15% of the rows, 100..750, as NAB\'s probation)', wholeNumber('--warmup', 20))
    .option('--seed <n>', 'random seed (same seed, same scores; default 7)', wholeNumber('--seed'))
    .option('--quiet', 'print nothing but errors')
    .addHelpText(
      'after',
      `
Scores are anomaly probabilities in [0, 1]; ${SERIES_ALERT_LEVEL} is the alert level. After an alert the next 200
rows are damped (one alert per episode). Rows that cannot be read are skipped and reported, never fatal.

Examples:
  harbinger score-series cpu.csv                       # writes cpu.scores.csv next to it
  harbinger score-series metrics.csv --columns latency,requests --out scores.csv
  harbinger score-series export.csv --time-column Timestamp --quiet`,
    )
    .action(async (csv: string, opts: { out?: string; columns?: string[]; timeColumn?: string; warmup?: number; seed?: number; quiet?: boolean }) => {
      await runScoreSeries(csv, opts);
    });
}
