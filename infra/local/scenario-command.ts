/**
 * `harbinger scenario <name>`: runs a library scenario (or a custom JSON spec) on the embedded
 * default: learns the history, streams the live stretch with the scenario's incidents through
 * Kinesis and the real handlers, and reports recall, precision, false alerts per partition-hour on
 * clean stretches and detection delay, from the scenario's own ground truth.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { SCENARIO_NAMES, SCENARIOS } from '../../functions/core/synth/scenarios';
import { planScenarioRun, scenarioRunId, type ScenarioRunPlan } from '../../functions/core/synth/scenario-run';
import { SOURCE_OPTIONS, type SourceOption } from '../../functions/core/synth/generation-source';
import { WINDOWS_OPTIONS, type WindowsOption } from '../../functions/scenario/sources';
import { formatRealismSection } from '../../functions/core/synth/realism-section';
import { runDemo, type DemoResult } from './demo';
import { wholeNumber } from './cli-args';
import { silentProgress, terminalProgress } from './progress';

const MINUTE = 60_000;
const LIVE_START = Date.UTC(2026, 10, 16, 15, 0);


/** Options of the command, as commander parses them. */
interface ScenarioOptions {
  partition: string[];
  atMinute: number;
  duration?: number;
  magnitude?: number;
  shape?: string;
  spec?: string;
  historyDays: number;
  model: boolean;
  seed: number;
  dataDir: string;
  source?: SourceOption;
  windows?: WindowsOption;
  json?: boolean;
}

/**
 * Builds the scenario from the name or the --spec file, through the same validation as a scenario
 * run on AWS (planScenarioRun): the file may be the console's JSON, its `startInMinutes` counted
 * from LIVE_START, where the live stretch starts.
 */
function scenarioOf(name: string | undefined, o: ScenarioOptions): ScenarioRunPlan {
  const at = { now: LIVE_START - MINUTE };
  if (o.spec) return planScenarioRun(JSON.parse(readFileSync(o.spec, 'utf8')) as unknown, at);
  if (!name) throw new InvalidArgumentError(`name a scenario (${SCENARIO_NAMES.join(', ')}) or give --spec <file.json>`);
  return planScenarioRun(
    {
      scenario: name,
      startInMinutes: o.atMinute,
      partitions: o.partition,
      ...(o.duration !== undefined ? { durationMinutes: o.duration } : {}),
      ...(o.magnitude !== undefined ? { magnitude: o.magnitude } : {}),
      ...(o.shape !== undefined ? { shape: o.shape } : {}),
    },
    at,
  );
}

/** Prints the report. */
export function printScenarioReport(name: string, r: DemoResult): void {
  const rep = r.report;
  const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;
  console.log(`\nScenario ${name}`);
  for (const i of rep.incidents) {
    const verdict = i.detected ? `CAUGHT after ${i.delayMin} min, ${i.anomalies} anomalous windows${i.leadMin !== null ? `, warned ${i.leadMin} min before` : ''}` : 'MISSED';
    console.log(`  ${i.kind.padEnd(20)} ${i.partition.padEnd(22)} ${new Date(i.start).toISOString().slice(11, 16)}Z..${new Date(i.end).toISOString().slice(11, 16)}Z  ${verdict}`);
  }
  console.log(`  recall ${pct(rep.recall)}, precision ${pct(rep.precision)} (${rep.anomalies - rep.falseAnomalies} of ${rep.anomalies} anomalous windows on an incident)`);
  console.log(`  clean stretches: ${rep.falseAnomalies} false anomalous windows in ${rep.cleanPartitionHours.toFixed(1)} partition-hours (${rep.falseAlertsPerPartitionHour.toFixed(3)} per partition-hour)`);
  if (rep.meanDelayMin !== null) console.log(`  mean detection delay ${rep.meanDelayMin.toFixed(1)} min`);
  console.log(
    `  early warnings: ${rep.predictions} opened, ${rep.falsePredictions} outside incidents; ${rep.warnedBeforeDetection} incident(s) warned before detection` +
      (rep.meanLeadMin !== null ? `, ${rep.meanLeadMin.toFixed(1)} min ahead on average` : ''),
  );
  if (r.model) console.log(`  scored by ${r.model.version ? `VAE ${r.model.version} and the statistical detectors` : 'the statistical detectors (no model)'}`);
  console.log('  generated:');
  for (const g of r.generation) console.log(`    ${g.partition.padEnd(22)} ${g.source === 'profile' ? 'from its ' : ''}${g.reason}`);
  if (r.realism) console.log(formatRealismSection(r.realism).split('\n').map((l) => `  ${l}`).join('\n'));
}

/** Adds the `scenario` command to a commander program. */
export function registerScenarioCommand(program: Command): void {
  program
    .command('scenario')
    .description('run a test scenario on this machine (emulators, real handlers) and report recall, precision, false alerts and detection delay from its ground truth')
    .argument('[name]', `library scenario: ${SCENARIO_NAMES.join(', ')}`)
    .option('--partition <key...>', 'partitions it hits (service#region)', ['checkout#us-east-1'])
    .option('--at-minute <n>', 'when it starts, minutes into the live stretch', wholeNumber('--at-minute'), 20)
    .option('--duration <minutes>', "how long it lasts (default: the scenario's)", wholeNumber('--duration'))
    .option('--magnitude <x>', "strength (default: the scenario's; see the README table)", (v) => Number(v))
    .option('--shape <shape>', 'step, ramp, spike or drop')
    .option('--spec <file>', 'a scenario as JSON: a custom one ({"name", "incidents": [...]}) or the scenario state machine\'s input (times relative to the live stretch with "startInMinutes"), see the README')
    .option('--history-days <n>', 'days of history to learn baselines from', wholeNumber('--history-days'), 3)
    .option('--no-model', 'statistical detectors only (skips training the VAE)')
    .option('--seed <n>', 'random seed', wholeNumber('--seed'), 7)
    .option('--data-dir <dir>', 'where emulator data, alerts and scenario-report.json go', '.harbinger/scenario')
    .option('--source <source>', `where the live events come from: ${SOURCE_OPTIONS.join(', ')} (auto: each partition's learned profile, else the service generator)`, (v: string) => {
      if (!(SOURCE_OPTIONS as readonly string[]).includes(v)) throw new InvalidArgumentError(`use one of ${SOURCE_OPTIONS.join(', ')}`);
      return v as SourceOption;
    })
    .option('--windows <from>', `window features of profile partitions: ${WINDOWS_OPTIONS.join(', ')} (stats: the seasonal statistics, the default, measured closer to real windows; vae: the VAE decoder's samples)`, (v: string) => {
      if (!(WINDOWS_OPTIONS as readonly string[]).includes(v)) throw new InvalidArgumentError(`use one of ${WINDOWS_OPTIONS.join(', ')}`);
      return v as WindowsOption;
    })
    .option('--json', 'print the report as JSON only')
    .addHelpText(
      'after',
      `
Scenarios:
${SCENARIO_NAMES.map((n) => `  ${n.padEnd(20)} ${SCENARIOS[n].description}`).join('\n')}

Examples:
  harbinger scenario error-burst --partition checkout#us-east-1 payments#eu-west-1
  harbinger scenario silent-service --at-minute 10 --duration 20 --no-model
  harbinger scenario latency-degradation --source services
  harbinger scenario --spec my-scenario.json`,
    )
    .action(async (name: string | undefined, o: ScenarioOptions) => {
      const scenario = scenarioOf(name, o);
      const ui = o.json ? silentProgress : terminalProgress();
      // The live stretch covers the scenario plus 10 quiet minutes after it (at least an hour).
      const first = Math.min(...scenario.incidents.map((i) => i.start));
      const last = Math.max(...scenario.incidents.map((i) => i.start + i.durationMs));
      const liveMinutes = Math.max(60, Math.ceil((last - LIVE_START) / MINUTE) + 10);
      if (first < LIVE_START) throw new InvalidArgumentError(`the scenario starts before the live stretch (${new Date(LIVE_START).toISOString()})`);
      const result = await runDemo({
        liveStart: LIVE_START,
        liveMinutes,
        historyDays: o.historyDays,
        seed: o.seed,
        incidents: scenario.incidents,
        // spec.json is the run's incidents as a custom spec (runnable again, here or on AWS).
        scenarioRun: { id: scenarioRunId(scenario.name, Date.now()), spec: scenario.spec, name: scenario.name },
        // --source, else the spec's "source", else auto (planScenarioRun's default).
        source: o.source ?? scenario.options.source,
        windows: o.windows ?? scenario.options.windows,
        model: o.model,
        dataDir: o.dataDir,
        ui,
      });
      const file = resolve(o.dataDir, 'scenario-report.json');
      writeFileSync(
        file,
        JSON.stringify({ scenario: scenario.name, incidents: scenario.incidents, labels: result.labels, report: result.report, model: result.model, generation: result.generation, realism: result.realism }, null, 2),
      );
      if (o.json) console.log(JSON.stringify(result.report, null, 2));
      else {
        printScenarioReport(scenario.name, result);
        console.log(`  report: ${file}`);
      }
      process.exitCode = result.report.recall === 1 ? 0 : 1;
    });
}
