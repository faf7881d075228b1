/**
 * `npm run bench`: prints results and writes them to bench/results/latest.json.
 * `npm run bench -- --only nab,multivariate` runs a subset (scorer, templates, nab, multivariate,
 * training, early-warning, capacity) and updates only those entries of latest.json.
 * Compare ratios measured in one run; absolute numbers move with the machine's load.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { runScorerBench } from './scorer';
import { runTemplateBench } from './templates';
import { printNabResult, runNabBench } from './nab';
import { printMultivariateResult, runMultivariateBench } from './multivariate';
import { printTrainingResult, runTrainingBench } from './training';
import { printEarlyWarningResult, runEarlyWarningBench } from './early-warning';
import { printCapacitySimResult, runCapacitySim } from './capacity-sim';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const log = (l: string): void => console.log(l);
const BENCHES = ['scorer', 'templates', 'nab', 'multivariate', 'training', 'early-warning', 'capacity'] as const;
type BenchName = (typeof BENCHES)[number];

/** `--only a,b` or `--only=a,b`; every bench when absent. */
function selected(argv: readonly string[]): Set<BenchName> {
  const i = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  if (i < 0) return new Set(BENCHES);
  const list = (argv[i].includes('=') ? argv[i].split('=')[1] : (argv[i + 1] ?? '')).split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = list.filter((n) => !(BENCHES as readonly string[]).includes(n));
  if (unknown.length || list.length === 0) {
    console.error(`bench: unknown or missing --only names (${unknown.join(', ') || 'none given'}); choose from ${BENCHES.join(', ')}`);
    process.exit(2);
  }
  return new Set(list as BenchName[]);
}

const only = selected(process.argv.slice(2));
const partial = only.size < BENCHES.length;
const LATEST = 'bench/results/latest.json';
const previous = partial && existsSync(LATEST) ? (JSON.parse(readFileSync(LATEST, 'utf8')) as Record<string, unknown>) : {};
const results: Record<string, unknown> = { ...previous, at: new Date().toISOString(), node: process.version };

if (only.has('scorer')) {
  console.log('Scorer throughput (real handler, local DynamoDB/S3 emulators)');
  const s = await runScorerBench({ log });
  results.scorer = s;
  const n = (x: number): string => x.toLocaleString('en-US');
  console.log(`  => bare decode ${n(s.decodeEventsPerSec)} events/s; scorer compute path ${n(s.computeEventsPerSec)} events/s (ratio ${s.computeRatio}); whole handler with emulator writes ${n(s.scorerEventsPerSec)} events/s (ratio ${s.ratio})`);
}

if (only.has('templates')) {
  console.log('\nTemplate mining: grouping accuracy on LogHub 2k samples');
  const t = await runTemplateBench();
  results.templates = t;
  if (t.skipped) console.log(`  skipped: ${t.reason}`);
  else {
    for (const r of t.systems) {
      const mark = r.accuracy >= r.drain ? '>=' : '< ';
      console.log(`  ${r.system.padEnd(12)} ${r.accuracy.toFixed(3)} ${mark} Drain ${r.drain.toFixed(3)}  (${r.templates} templates)`);
    }
    console.log(`  mean ${t.mean.toFixed(3)} vs Drain mean ${t.drainMean.toFixed(3)}`);
  }
}

if (only.has('nab')) {
  console.log('\nNAB (20-file subset): online series scorer, each row scored from earlier rows only');
  const r = await runNabBench({ log });
  results.nab = r;
  printNabResult(r, log);
}

if (only.has('multivariate')) {
  console.log('\nMultivariate incidents: the VAE vs per-feature seasonal bands');
  const r = await runMultivariateBench({ log });
  results.multivariate = r;
  printMultivariateResult(r, log);
}

if (only.has('training')) {
  console.log('\nVAE training time (20 partitions x 14 days of 1-minute windows) and one shared model vs one per partition');
  const r = await runTrainingBench({ log });
  results.training = r;
  printTrainingResult(r, log);
}

if (only.has('early-warning')) {
  console.log('\nEarly warning ("Log Anomaly Predicted"): lead time and false warnings on ramp and slow-burn incidents');
  const r = await runEarlyWarningBench({ log });
  results.earlyWarning = r;
  printEarlyWarningResult(r, log);
}

if (only.has('capacity')) {
  console.log('\nCapacity simulation: static peak vs reactive (alarm) vs predictive shard policy over a week of traffic');
  const r = await runCapacitySim({ log });
  results.capacity = r;
  printCapacitySimResult(r, log);
}

mkdirSync('bench/results', { recursive: true });
writeFileSync(LATEST, JSON.stringify(results, null, 2));
console.log(`\nwritten: ${LATEST}`);
