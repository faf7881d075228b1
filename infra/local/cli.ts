#!/usr/bin/env node
/**
 * `harbinger` command line: the embedded demo, and scoring of your own log files.
 * Run with `npx harbinger <command>` (or `npm run harbinger -- <command>`).
 */
import { Command, InvalidArgumentError } from 'commander';

// Lambda runs Node.js 22; on a laptop's Node 20 the SDK's upgrade notice is noise for a demo.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { runDemo, type DemoResult } from './demo';
import { startLocalStack } from './local-stack';
import { ensureBaselineProfiles, latestWindowDayEnd, runLocalRetraining } from './retraining';
import { silentProgress, terminalProgress } from './progress';
import { registerSensitivityCommand } from './sensitivity-command';
import { wholeNumber } from './cli-args';
import { registerSeriesCommand } from './series-command';
import { registerScenarioCommand } from './scenario-command';
import { registerLabelCommands } from './label-command';
import { registerDashboardCommand, DEFAULT_DASHBOARD_PORT } from './dashboard/command';
import { startDashboard, type Dashboard } from './dashboard/server';
import { formatCapacitySummary } from './capacity';
import { listFiles, readLogFile } from './files';
import { learnHistory, profileFromLearned, scoreEvents } from '../../functions/core/offline';
import { parsePartitionRules } from '../../functions/core/partition';
import type { Anomaly, LogEvent, Profile } from '../../functions/core/types';

const int = wholeNumber;
const fraction = (v: string): number => {
  const n = Number(v);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`must be between 0 and 1 (exclusive), got "${v}"`);
  return n;
};

const program = new Command();
program
  .name('harbinger')
  .description('Predictive log anomaly detection. Runs on AWS (npx cdk deploy) or on this machine against local emulators.')
  .showHelpAfterError();

program
  .command('demo', { isDefault: true })
  .description('start local emulators, learn a week of synthetic history, stream a live hour with one injected incident, print alerts and a summary')
  .option('--minutes <n>', 'length of the live stretch, simulated minutes', int('--minutes'), 60)
  .option('--history-days <n>', 'days of history to learn baselines from', int('--history-days'), 7)
  .option('--seed <n>', 'random seed (same seed, same run)', int('--seed'), 7)
  .option('--no-incident', 'stream a clean hour (expect no alerts)')
  .option('--scale <x>', 'traffic multiplier', (v) => Number(v), 1)
  .option('--no-model', 'skip training the VAE: statistical detectors only (faster)')
  .option('--epochs <n>', 'VAE training epochs (hyperparameter)', int('--epochs'))
  .option('--data-dir <dir>', 'where emulator data, alerts.jsonl and summary.json go', '.harbinger/demo')
  .option('--json', 'print the summary as JSON only')
  .option('--no-dashboard', 'do not serve the local web dashboard while the demo streams')
  .option('--dashboard-port <n>', 'dashboard port on 127.0.0.1 (0 = any free port; a taken port falls back to a free one)', int('--dashboard-port'), DEFAULT_DASHBOARD_PORT)
  .option('--serve', 'after the summary, keep the emulators and the dashboard running until Ctrl-C')
  .option('--no-capacity', 'do not run the capacity function (and the remediation rules) on the simulated clock')
  .action(async (opts) => {
    const ui = opts.json ? silentProgress : terminalProgress();
    const finish = (result: DemoResult): void => {
      const summaryFile = resolve(opts.dataDir, 'summary.json');
      writeFileSync(summaryFile, JSON.stringify(result, null, 2));
      if (opts.json) console.log(JSON.stringify(result, null, 2));
      else printDemoSummary(result, summaryFile);
      process.exitCode = result.incident && !result.caught ? 1 : 0;
    };
    let dashboard: Dashboard | undefined;
    let finished = false;
    const result = await runDemo({
      liveMinutes: opts.minutes,
      historyDays: opts.historyDays,
      seed: opts.seed,
      incident: opts.incident,
      scale: opts.scale,
      dataDir: opts.dataDir,
      model: opts.model,
      hyperParameters: opts.epochs !== undefined ? { epochs: opts.epochs } : undefined,
      capacity: opts.capacity,
      ui,
      onLiveStart: opts.dashboard
        ? async (live) => {
            dashboard = await startDashboard({
              clients: live.clients,
              names: live.names,
              alertsFile: live.alertsFile,
              port: opts.dashboardPort,
              portFallback: true,
              capacity: async () => ({ points: live.capacityPoints(), note: 'records/s as the capacity function sizes them: the demo load counted x1000' }),
            });
            ui.print(`  dashboard: ${dashboard.url} (updates every simulated minute)`);
          }
        : undefined,
      onMinute: (simNow) => dashboard?.notify(simNow),
      onDone: async (r) => {
        if (dashboard && opts.serve) {
          finish(r);
          finished = true;
          console.error(`\nDashboard still serving at ${dashboard.url}: press Ctrl-C to stop.`);
          await new Promise<void>((done) => {
            process.once('SIGINT', () => done());
            process.once('SIGTERM', () => done());
          });
        }
        await dashboard?.close();
      },
    });
    if (!finished) finish(result);
  });

program
  .command('score')
  .description('learn baselines from history and score log files offline (no AWS, no emulators): JSON lines, text logs, CloudWatch exports')
  .argument('<path>', 'log file or folder to score')
  .option('--history <path>', 'file or folder to learn baselines from (default: the first part of <path>)')
  .option('--history-fraction <f>', 'without --history: share of <path> (by time) used as history', fraction, 0.5)
  .option('--out <file>', 'where to write anomalies as JSON', 'harbinger-anomalies.json')
  .option('--rules <json>', 'partition rules as JSON (see README), default: by log group / file name')
  .option('--region <region>', 'region for partitions whose source names none', 'us-east-1')
  .option('--sensitivity <p>', 'alert when P(anomalous) exceeds this', fraction)
  .action((path: string, opts) => {
    const rules = parsePartitionRules(opts.rules);
    const load = (p: string): LogEvent[] => {
      const files = listFiles(p);
      const events: LogEvent[] = [];
      let skipped = 0;
      for (const f of files) {
        const r = readLogFile(f, opts.region);
        for (const e of r.events) events.push(e);
        skipped += r.skipped;
        console.error(`  read ${f} (${r.kind}): ${r.events.length.toLocaleString('en-US')} events${r.skipped ? `, ${r.skipped} empty lines skipped` : ''}`);
        if (r.noTimestamps) {
          console.error(`  ! no timestamp Harbinger can read in ${f}: its lines all get one time, so they fall in one window. Supported: ISO 8601, log4j, syslog, ctime, Apache/nginx access, epoch fields in JSON.`);
        }
      }
      if (skipped) console.error(`  ${skipped} empty or unusable entries skipped`);
      return events.sort((a, b) => a.timestamp - b.timestamp);
    };
    let input = load(path);
    if (input.length > 0) {
      const span = input[input.length - 1].timestamp - input[0].timestamp;
      console.error(`  ${input.length.toLocaleString('en-US')} events from ${iso(input[0].timestamp)} to ${iso(input[input.length - 1].timestamp)} (${Math.round(span / 60_000).toLocaleString('en-US')} minutes)`);
    }
    let history: LogEvent[];
    if (opts.history) history = load(opts.history);
    else {
      if (input.length < 2) throw new Error(`Only ${input.length} events in ${path}: give more, or a separate --history.`);
      const t0 = input[0].timestamp;
      const cut = t0 + (input[input.length - 1].timestamp - t0) * opts.historyFraction;
      history = input.filter((e) => e.timestamp < cut);
      input = input.filter((e) => e.timestamp >= cut);
      console.error(`  no --history: learning from the first ${Math.round(opts.historyFraction * 100)}% by time (${history.length} events), scoring the rest (${input.length})`);
    }
    const learned = learnHistory(() => history, { rules, defaultRegion: opts.region });
    const profiles = new Map<string, Profile>();
    for (const l of learned.values()) {
      const p = profileFromLearned(l, Date.now());
      profiles.set(l.partition, opts.sensitivity ? { ...p, sensitivity: opts.sensitivity } : p);
      console.error(`  profile ${l.partition}: ${l.windows.length} windows, ${l.templates.length} templates, ${l.patterns.length} patterns`);
    }
    const result = scoreEvents(input, profiles, { rules, defaultRegion: opts.region });
    printAnomalyTable(result.anomalies);
    if (result.unprofiled.length) console.error(`  not scored (no history for them): ${result.unprofiled.join(', ')}`);
    const out = resolve(opts.out);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify({ windows: result.windows, events: result.events, anomalies: result.anomalies }, null, 2));
    console.log(`\n${result.events.toLocaleString('en-US')} events in ${result.windows} windows scored; ${result.anomalies.length} anomalies written to ${out}`);
  });

function iso(t: number): string {
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ') + 'Z';
}

function printAnomalyTable(anomalies: Anomaly[]): void {
  if (anomalies.length === 0) {
    console.log('No anomalies.');
    return;
  }
  const rows = anomalies.map((a) => [
    new Date(a.windowStart).toISOString().slice(0, 16).replace('T', ' '),
    a.partition,
    a.kind,
    a.severity,
    a.probability.toFixed(3),
    (a.rootCauseHints[0] ?? '').slice(0, 70),
  ]);
  const head = ['window (UTC)', 'partition', 'kind', 'severity', 'p', 'top hint'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

function printDemoSummary(r: DemoResult, summaryFile: string): void {
  const n = (x: number): string => x.toLocaleString('en-US');
  console.log('\nSummary');
  console.log(`  history: ${n(r.historyEvents)} events -> ${r.profiles.length} baseline profiles`);
  console.log(`  live:    ${n(r.liveEvents)} events in ${n(r.recordsPut)} Kinesis records; ${n(r.eventsScored)} events scored` +
    `${r.malformed ? `, ${r.malformed} malformed records quarantined` : ''}${r.lateEvents ? `, ${r.lateEvents} late events counted` : ''}` +
    `${r.recordsFailed ? `, ${r.recordsFailed} records rejected by Kinesis` : ''}`);
  if (r.model) {
    const m = r.model;
    const how = m.version ? `VAE ${m.version} (${m.decision?.promote ? 'promoted' : 'champion kept'})` : `no model (${m.error ?? m.decision?.reason ?? m.status})`;
    console.log(`  model:   ${how}, state machine ${m.status} through ${m.states.length} states in ${(m.ms / 1000).toFixed(1)} s`);
    if (m.holdout) {
      console.log(`           holdout with injected anomalies: average precision ${m.holdout.averagePrecision.toFixed(3)}, recall ${(m.holdout.recall * 100).toFixed(0)}% at 0.95, false positives ${(m.holdout.falsePositiveRate * 100).toFixed(2)}%`);
    }
  }
  console.log(`  windows: ${n(r.windowsClosed)} closed, ${n(r.windowsScored)} scored` +
    (r.model ? ` (${n(r.model.windowsScored)} by the VAE${r.model.fallbacks ? `, ${n(r.model.fallbacks)} fell back to the statistical detectors` : ''})` : ''));
  console.log(`  anomalous windows: ${r.anomalies.length} (${r.incidentAlerts.length} on the incident, ${r.falseAlerts.length} elsewhere)`);
  const count = (c: string): number => r.alerts.filter((a) => a.change === c).length;
  console.log(`  alerts sent: ${count('opened')} opened, ${count('escalated')} escalated, ${count('resolved')} resolved (one incident per partition and kind)`);
  if (r.incident) {
    const verdict = r.caught ? `CAUGHT, first alert ${r.detectionDelayMin} min after it began` : 'MISSED';
    console.log(`  injected incident ${r.incident.kind} in ${r.incident.partition}: ${verdict}`);
  }
  if (r.capacity) for (const l of formatCapacitySummary(r.capacity)) console.log(`  ${l}`);
  for (const o of r.remediation) {
    if (o.attempts === 0) continue;
    console.log(`  remediation ${o.ruleId}: ${o.attempts} action(s), ${o.cleared} cleared in time, ${o.notCleared} not, ${o.pending} pending${o.actionFailed ? `, ${o.actionFailed} failed` : ''}`);
  }
  console.log(`  anomalies: s3://${r.where.anomalyBucket}/anomalies/ (local emulator, data under ${r.where.dataDir})`);
  console.log(`  alerts:    ${r.where.alertsFile}`);
  console.log(`  summary:   ${summaryFile}`);
  console.log(`  time:      ${(r.timingsMs.total / 1000).toFixed(1)} s (startup ${(r.timingsMs.startup / 1000).toFixed(1)} s, history ${(r.timingsMs.history / 1000).toFixed(1)} s, model ${(r.timingsMs.model / 1000).toFixed(1)} s, live ${(r.timingsMs.live / 1000).toFixed(1)} s)`);
}

program
  .command('emulators')
  .description("start the local emulators with the stack's stream, table and buckets and keep them running (Ctrl-C stops); prints the environment for the AWS CLI or SDK")
  .option('--data-dir <dir>', 'where S3 objects are kept', '.harbinger/emulators')
  .action(async (opts) => {
    const stack = await startLocalStack({ dataDir: resolve(opts.dataDir) });
    const e = stack.emulators.env;
    console.log(`Local stack ready in ${(stack.startupMs / 1000).toFixed(1)} s: stream ${stack.names.stream}, table ${stack.names.table}, buckets ${stack.names.anomalyBucket}, ${stack.names.datasetBucket}, ${stack.names.syntheticBucket}`);
    console.log('Point the AWS CLI or SDK at it with:');
    for (const k of ['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_ENDPOINT_URL_KINESIS', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_S3']) {
      if (e[k]) console.log(`  export ${k}=${e[k]}`);
    }
    console.log('Press Ctrl-C to stop.');
    await new Promise<void>((done) => {
      process.once('SIGINT', () => done());
      process.once('SIGTERM', () => done());
    });
    await stack.stop();
    console.log('Stopped.');
  });

program
  .command('retrain')
  .description('run the VAE retraining state machine locally (the definition the stack deploys): prepare the data set from stored window features, train in a child process, champion/challenger, serve the model, publish profiles')
  .option('--days <n>', 'days of window features to learn from', int('--days'), 14)
  .option('--epochs <n>', 'training epochs (hyperparameter; 0 trains nothing, for a deliberately poor challenger)', int('--epochs'))
  .option('--now <time>', 'reference time, ISO (default: the end of the newest day with stored windows)')
  .option('--scenario-data <mode>', 'windows of replayed scenario runs: exclude (default) or include (clean minutes train, labelled incidents join the holdout)', (v: string) => {
    if (v !== 'exclude' && v !== 'include') throw new InvalidArgumentError('use exclude or include');
    return v;
  })
  .option('--data-dir <dir>', 'where emulator data is kept (run `harbinger demo` first to fill it)', '.harbinger/demo')
  .option('--json', 'print the result as JSON only')
  .action(async (opts) => {
    const say = (line: string): void => {
      if (!opts.json) console.log(line);
    };
    const stack = await startLocalStack({ dataDir: resolve(opts.dataDir, 'emulators'), env: { POWERTOOLS_LOG_LEVEL: 'ERROR' } });
    try {
      const now = opts.now ? Date.parse(opts.now) : ((await latestWindowDayEnd(stack)) ?? Date.now());
      if (!Number.isFinite(now)) throw new InvalidArgumentError(`--now must be an ISO time, got "${opts.now}"`);
      say(`Local stack ready in ${(stack.startupMs / 1000).toFixed(1)} s (data under ${resolve(opts.dataDir)}); retraining with ${opts.days} days up to ${iso(now)}`);
      const built = await ensureBaselineProfiles(stack, now, opts.days);
      if (built.length) say(`  baseline profiles built first (publish adds the model to them): ${built.join(', ')}`);
      const t0 = Date.now();
      const result = await runLocalRetraining(stack, {
        input: { days: opts.days, now, ...(opts.epochs !== undefined ? { hyperParameters: { epochs: opts.epochs } } : {}), ...(opts.scenarioData ? { scenarioData: opts.scenarioData } : {}) },
        workDir: resolve(opts.dataDir, 'retraining'),
        onState: (e) => {
          if (e.type === 'StateEntered') say(`  ${(((e.at - t0) / 1000).toFixed(1) + ' s').padStart(8)}  ${e.state}`);
        },
        log: (line) => say(`            ${line}`),
      });
      if (opts.json) console.log(JSON.stringify(result, null, 2));
      else {
        console.log('\nRetraining');
        console.log(`  status:   ${result.status} in ${(result.durationMs / 1000).toFixed(1)} s`);
        console.log(`  job:      ${result.jobName ?? '(none)'}`);
        if (result.decision) console.log(`  decision: ${result.decision.promote ? 'PROMOTED' : 'CHAMPION KEPT'}: ${result.decision.reason}`);
        console.log(`  serving:  ${result.modelVersion ?? '(no model)'}`);
        if (result.error) console.log(`  error:    ${result.error.error}: ${result.error.cause}`);
      }
      process.exitCode = result.status === 'SUCCEEDED' ? 0 : 1;
    } finally {
      await stack.stop();
    }
  });

registerSensitivityCommand(program);
registerSeriesCommand(program);
registerScenarioCommand(program);
registerLabelCommands(program);
registerDashboardCommand(program);

program.parseAsync(process.argv).catch((err: Error) => {
  console.error(`harbinger: ${err.message}`);
  process.exitCode = 1;
});
