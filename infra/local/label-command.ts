/**
 * `harbinger label`: marks an alert a true or false positive, and lists the labels of partitions.
 * The same applyLabel the feedback Lambda and the dashboard run. Points at the SDK's environment:
 * the local emulators (export what `harbinger emulators` prints) or a deployed stack.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { awsClients } from '../../functions/adapters/clients';
import { LabelStore } from '../../functions/adapters/label-store';
import { ObjectStore } from '../../functions/adapters/object-store';
import { ProfileStore } from '../../functions/adapters/profile-store';
import { summariseLabels, type Verdict } from '../../functions/core/feedback';
import { ENV, resourceNames } from '../../functions/core/resources';
import { applyLabel } from '../../functions/feedback/feedback';

const VERDICTS: Record<string, Verdict> = {
  true: 'true_positive',
  tp: 'true_positive',
  true_positive: 'true_positive',
  false: 'false_positive',
  fp: 'false_positive',
  false_positive: 'false_positive',
};

const verdictArg = (v: string): Verdict => {
  const verdict = VERDICTS[v.toLowerCase()];
  if (!verdict) throw new InvalidArgumentError(`say "true" (a real problem) or "false" (a false alarm), got "${v}"`);
  return verdict;
};

interface StoreOptions {
  table?: string;
  bucket?: string;
}

function stores(o: StoreOptions): { labels: LabelStore; profiles: ProfileStore; table: string; bucket: string } {
  const table = o.table ?? process.env[ENV.table] ?? resourceNames().table;
  const bucket = o.bucket ?? process.env[ENV.anomalyBucket] ?? resourceNames().anomalyBucket;
  const clients = awsClients();
  return {
    labels: new LabelStore(new ObjectStore({ client: clients.s3, bucket })),
    profiles: new ProfileStore({ client: clients.dynamodb, table, cacheTtlMs: 0 }),
    table,
    bucket,
  };
}

/** Adds the `label` and `labels` commands to a commander program. */
export function registerLabelCommands(program: Command): void {
  program
    .command('label')
    .description('mark an alert a true or a false positive; a false positive raises that partition\'s alert level one bounded step and makes the window normal training data again')
    .argument('<partition>', 'the alert\'s partition (service#region[#segment])')
    .argument('<anomaly-id>', 'the alert\'s "id"')
    .argument('<verdict>', '"true" (a real problem) or "false" (a false alarm)', verdictArg)
    .option('--note <text>', 'why (kept with the label)')
    .option('--by <name>', 'who labelled it', process.env.USER)
    .option('--table <name>', `state table (default: $${ENV.table} or ${resourceNames().table})`)
    .option('--bucket <name>', `anomaly bucket (default: $${ENV.anomalyBucket} or ${resourceNames().anomalyBucket})`)
    .addHelpText(
      'after',
      `
Examples:
  harbinger label checkout#us-east-1 b8e9a5f73e85aed4 false --note "planned load test"
  harbinger labels --partition checkout#us-east-1
Points at the SDK's environment: export the AWS_ENDPOINT_URL_* lines \`harbinger emulators\` prints, or use AWS credentials for a deployed stack.`,
    )
    .action(async (partition: string, anomalyId: string, verdict: Verdict, o: StoreOptions & { note?: string; by?: string }) => {
      const { labels, profiles } = stores(o);
      const { label, changed } = await applyLabel({ partition, anomalyId, verdict, ...(o.note ? { note: o.note } : {}), ...(o.by ? { by: o.by } : {}) }, { labels, profiles });
      const when = new Date(label.windowStart).toISOString().slice(0, 16);
      console.log(`${changed ? 'Labelled' : 'Already labelled'} ${label.kind} at ${when}Z in ${partition} as ${label.verdict.replace('_', ' ')}.`);
      const { before, after } = label.sensitivity;
      if (after !== before) console.log(`  alert level ${before} -> ${after} (fewer alerts at the same deviation; undo with \`harbinger sensitivity ${before} --partition ${partition}\`)`);
      if (label.verdict === 'false_positive') console.log('  the window counts as normal in the next retraining');
      else console.log('  the window stays out of the next retraining');
    });

  program
    .command('labels')
    .description('list the labels given to alerts, per partition, with their effect on the alert level')
    .option('--partition <key...>', 'partitions (default: every partition with a profile)')
    .option('--table <name>', `state table (default: $${ENV.table} or ${resourceNames().table})`)
    .option('--bucket <name>', `anomaly bucket (default: $${ENV.anomalyBucket} or ${resourceNames().anomalyBucket})`)
    .action(async (o: StoreOptions & { partition?: string[] }) => {
      const { labels, profiles } = stores(o);
      const partitions = o.partition ?? (await profiles.partitions());
      for (const p of partitions) {
        const list = await labels.list(p);
        const s = summariseLabels(list);
        const profile = await profiles.getCurrent(p);
        console.log(`${p}: ${s.truePositives} true, ${s.falsePositives} false positive(s); alert level ${profile?.sensitivity ?? '-'}`);
        for (const l of list) {
          console.log(`  ${new Date(l.windowStart).toISOString().slice(0, 16)}Z ${l.kind.padEnd(14)} ${l.anomalyId} ${l.verdict.padEnd(15)} ${l.sensitivity.before}->${l.sensitivity.after}${l.note ? `  "${l.note}"` : ''}`);
        }
      }
      if (partitions.length === 0) console.log('No partitions have a profile yet.');
    });
}
