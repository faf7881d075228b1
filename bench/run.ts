/**
 * `npm run bench`: prints results and writes them to bench/results/latest.json.
 * Compare ratios measured in one run; absolute numbers move with the machine's load.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { runScorerBench } from './scorer';
import { runTemplateBench } from './templates';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const log = (l: string): void => console.log(l);
const results: Record<string, unknown> = { at: new Date().toISOString(), node: process.version };

console.log('Scorer throughput (real handler, local DynamoDB/S3 emulators)');
const s = await runScorerBench({ log });
results.scorer = s;
const n = (x: number): string => x.toLocaleString('en-US');
console.log(`  => bare decode ${n(s.decodeEventsPerSec)} events/s; scorer compute path ${n(s.computeEventsPerSec)} events/s (ratio ${s.computeRatio}); whole handler with emulator writes ${n(s.scorerEventsPerSec)} events/s (ratio ${s.ratio})`);

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

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/latest.json', JSON.stringify(results, null, 2));
console.log('\nwritten: bench/results/latest.json');
