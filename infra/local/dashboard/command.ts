/**
 * `harbinger dashboard`: serves the local web dashboard on 127.0.0.1 and prints its address.
 * Two sources:
 * - the SDK's environment, when it points at emulators (the `export AWS_ENDPOINT_URL_*` lines of a
 *   running `harbinger emulators`) or with `--from-env` (e.g. a deployed stack, AWS credentials);
 * - otherwise the data a `harbinger demo` left in `--data-dir`: the emulators are started over its
 *   saved S3 objects (windows, anomalies, thresholds), the baseline profiles are rebuilt from the
 *   stored windows (DynamoDB lives in memory), and its alerts.jsonl is followed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { wholeNumber } from '../cli-args';
import { startLocalStack, type LocalStack } from '../local-stack';
import { ensureBaselineProfiles, latestWindowDayEnd } from '../retraining';
import { awsClients } from '../../../functions/adapters/clients';
import { ENV, resourceNames } from '../../../functions/core/resources';
import type { DashboardClients } from './data';
import { startDashboard } from './server';

/** Default port of `harbinger dashboard` (0 picks any free port). */
export const DEFAULT_DASHBOARD_PORT = 7070;

interface DashboardCommandOptions {
  port: number;
  dataDir: string;
  fromEnv?: boolean;
  alerts?: string;
  days: number;
}

/**
 * Start of the demo's live stretch from its summary.json: profiles rebuilt as of then learn from
 * the history alone, as the demo's did (not from the live stretch and its incident).
 */
function demoLiveStart(dataDir: string): number | null {
  try {
    const summary = JSON.parse(readFileSync(join(dataDir, 'summary.json'), 'utf8')) as { liveStart?: unknown };
    return typeof summary.liveStart === 'number' ? summary.liveStart : null;
  } catch {
    return null;
  }
}

/** Adds the `dashboard` command to a commander program. */
export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('serve the local web dashboard on 127.0.0.1: per-partition series with bands, anomalies, score distribution, sensitivity controls, alert labels, early warnings, remediation outcomes')
    .option('--port <n>', 'port on 127.0.0.1 (0 = any free port)', wholeNumber('--port'), DEFAULT_DASHBOARD_PORT)
    .option('--data-dir <dir>', 'data a `harbinger demo` left (its emulators/ folder and alerts.jsonl)', '.harbinger/demo')
    .option('--from-env', "read the stack the SDK's environment points at (exported `harbinger emulators` lines, or AWS credentials)")
    .option('--alerts <file>', 'alerts JSONL file to follow (default: <data-dir>/alerts.jsonl when serving demo data)')
    .option('--days <n>', 'days of stored windows to rebuild profiles from (demo data)', wholeNumber('--days'), 14)
    .addHelpText(
      'after',
      `
Examples:
  harbinger dashboard                        # the data of the last \`harbinger demo\` (or of exported emulators)
  harbinger dashboard --port 0               # any free port
  harbinger dashboard --from-env             # the stack the SDK's environment points at
The page updates live while a demo streams when the demo starts it (npm start).`,
    )
    .action(async (opts: DashboardCommandOptions) => {
      const useEnv = opts.fromEnv || Boolean(process.env.AWS_ENDPOINT_URL_DYNAMODB);
      let stack: LocalStack | undefined;
      let clients: DashboardClients;
      let names = resourceNames();
      let alertsFile = opts.alerts ? resolve(opts.alerts) : undefined;
      if (useEnv) {
        const aws = awsClients();
        clients = { dynamodb: aws.dynamodb, s3: aws.s3 };
        names = { ...names, table: process.env[ENV.table] ?? names.table };
        console.log(`Reading the stack the SDK's environment points at (table ${names.table}${process.env.AWS_ENDPOINT_URL_DYNAMODB ? ` on ${process.env.AWS_ENDPOINT_URL_DYNAMODB}` : ''}).`);
      } else {
        const dataDir = resolve(opts.dataDir);
        if (!existsSync(join(dataDir, 'emulators'))) {
          throw new Error(`No demo data in ${dataDir}: run \`harbinger demo\` first, pass --data-dir, or export the environment \`harbinger emulators\` prints.`);
        }
        stack = await startLocalStack({ dataDir: join(dataDir, 'emulators'), env: { POWERTOOLS_LOG_LEVEL: 'ERROR' } });
        clients = stack.clients;
        names = stack.names;
        const now = demoLiveStart(dataDir) ?? (await latestWindowDayEnd(stack)) ?? Date.now();
        const built = await ensureBaselineProfiles(stack, now, opts.days);
        console.log(`Serving the demo data in ${dataDir}: ${built.length} baseline profile(s) rebuilt from the stored windows (DynamoDB is in memory, so sensitivity changes last while this runs).`);
        const demoAlerts = join(dataDir, 'alerts.jsonl');
        alertsFile ??= existsSync(demoAlerts) ? demoAlerts : undefined;
      }
      const dashboard = await startDashboard({ clients, names, alertsFile, port: opts.port });
      console.log(`Dashboard: ${dashboard.url}`);
      console.log('Press Ctrl-C to stop.');
      await new Promise<void>((done) => {
        process.once('SIGINT', () => done());
        process.once('SIGTERM', () => done());
      });
      await dashboard.close();
      await stack?.stop();
      console.log('Stopped.');
    });
}
