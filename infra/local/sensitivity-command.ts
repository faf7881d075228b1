/**
 * `harbinger sensitivity`: reads or sets the alert level of partitions on their CURRENT profile
 * pointer. Works against whatever the SDK's environment points at: the local emulators (run
 * `harbinger emulators` and export what it prints) or a deployed stack (AWS credentials).
 * No retraining: the model and its proactive thresholds stay; the level they are read at moves.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { awsClients } from '../../functions/adapters/clients';
import { ProfileStore } from '../../functions/adapters/profile-store';
import { DEFAULT_SENSITIVITY } from '../../functions/core/profile';
import { ENV, resourceNames } from '../../functions/core/resources';

const level = (v: string): number => {
  const n = Number(v);
  if (!(n >= 0.5 && n <= 0.9999)) throw new InvalidArgumentError(`must be a probability in [0.5, 0.9999], got "${v}"`);
  return n;
};

/** Adds the `sensitivity` command to a commander program. */
export function registerSensitivityCommand(program: Command): void {
  program
    .command('sensitivity')
    .description('show or set the alert level: P(anomalous) needed to raise an anomaly, and the level of the proactive bands (no retraining)')
    .argument('[level]', 'new level, e.g. 0.99 for fewer, surer alerts or 0.9 for more (omit to show the current levels)', level)
    .option('--partition <key...>', 'partitions to change (service#region[#segment]); default: every partition with a profile')
    .option('--table <name>', `state table (default: $${ENV.table} or ${resourceNames().table})`)
    .addHelpText(
      'after',
      `
Examples:
  harbinger sensitivity                                   # list every partition's level
  harbinger sensitivity 0.99 --partition checkout#eu-west-1
Points at the SDK's environment: export the AWS_ENDPOINT_URL_* lines \`harbinger emulators\` prints, or use AWS credentials for a deployed stack.`,
    )
    .action(async (newLevel: number | undefined, opts: { partition?: string[]; table?: string }) => {
      const table = opts.table ?? process.env[ENV.table] ?? resourceNames().table;
      const store = new ProfileStore({ client: awsClients().dynamodb, table, cacheTtlMs: 0 });
      const partitions = opts.partition ?? (await store.partitions());
      if (partitions.length === 0) {
        console.log(`No partitions have a profile in table ${table}: run the profile builder or \`harbinger retrain\` first.`);
        return;
      }
      for (const p of partitions) {
        if (newLevel !== undefined) await store.setSensitivity(p, newLevel);
        const profile = await store.getCurrent(p);
        const model = profile?.model ? `model ${profile.model.version}` : 'statistical only';
        console.log(`  ${p.padEnd(32)} ${(profile?.sensitivity ?? DEFAULT_SENSITIVITY).toString().padEnd(7)} profile v${profile?.version ?? '-'}, ${model}`);
      }
      if (newLevel !== undefined) console.log(`Set ${partitions.length} partition(s) to ${newLevel}; scorers pick it up within their profile cache TTL (60 s).`);
    });
}
