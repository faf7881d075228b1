/**
 * End to end: `harbinger scenario` on the embedded default, with a custom spec holding an error
 * burst in one partition and a silent service in another. The report is computed from the
 * scenario's ground truth; both incidents must be caught quickly and nothing else raised.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScenarioReport } from '../../functions/core/synth/report';
import type { PartitionGeneration } from '../../functions/core/synth/generation-source';
import type { RealismSection } from '../../functions/core/synth/realism-section';

describe('harbinger scenario', () => {
  it('runs an error burst and a silent service, and reports recall, precision and delay from the labels', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harbinger-scenario-'));
    const spec = join(dir, 'spec.json');
    writeFileSync(
      spec,
      JSON.stringify({
        name: 'burst-and-silence',
        incidents: [
          { kind: 'error_burst', partition: 'payments#eu-west-1', start: '2026-11-16T15:15:00Z', durationMinutes: 8, magnitude: 0.3 },
          { kind: 'silent', partition: 'gateway#us-east-1', start: '2026-11-16T15:35:00Z', durationMinutes: 12 },
        ],
      }),
    );
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/cli.ts', 'scenario', '--spec', spec, '--history-days', '3', '--no-model', '--data-dir', join(dir, 'run')], {
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => done({ code, stdout, stderr }));
    });
    if (out.code !== 0) console.error(out.stdout.slice(-3000), out.stderr.slice(-3000));
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/Scenario burst-and-silence/);
    const saved = JSON.parse(readFileSync(join(dir, 'run', 'scenario-report.json'), 'utf8')) as { report: ScenarioReport; labels: unknown[]; generation: PartitionGeneration[]; realism: RealismSection };
    expect(saved.labels).toHaveLength(2);
    const r = saved.report;
    expect(r.recall).toBe(1);
    expect(r.precision).toBeGreaterThanOrEqual(0.9);
    expect(r.falseAlertsPerPartitionHour).toBeLessThanOrEqual(0.2);
    for (const i of r.incidents) expect(i.delayMin!).toBeLessThanOrEqual(5);
    // source auto: every partition from its CURRENT profile (no model: the seasonal statistics), and the
    // realism check against the history's windows, printed and saved.
    expect(saved.generation).toHaveLength(8);
    expect(saved.generation.every((g) => g.source === 'profile' && g.windows === 'stats')).toBe(true);
    expect(saved.realism.partitions.map((p) => p.basis)).toEqual(Array(8).fill('hour-of-day'));
    expect(out.stdout).toMatch(/Realism: synthetic vs real windows of the same partition/);
    // The run is stored in the synthetic bucket (s3rver keeps objects on disk under the data dir).
    const runs = join(dir, 'run', 'emulators', 's3', 'harbinger-synthetic', 'scenario-runs');
    const [run] = readdirSync(runs);
    expect(run).toMatch(/^burst-and-silence-/);
    const objects = readdirSync(join(runs, run)).filter((f) => f.endsWith('._S3rver_object')).sort();
    expect(objects).toEqual(['events.jsonl.gz._S3rver_object', 'labelled-anomalies.json._S3rver_object', 'labels.json._S3rver_object', 'manifest.json._S3rver_object', 'report.json._S3rver_object', 'spec.json._S3rver_object']);
    // The manifest names the replayed stretch (retraining and the profile builder leave it out, scenarioData).
    expect(JSON.parse(readFileSync(join(runs, run, 'manifest.json._S3rver_object'), 'utf8'))).toMatchObject({ replay: true, start: '2026-11-16T15:00:00.000Z', partitions: expect.arrayContaining(['payments#eu-west-1', 'gateway#us-east-1']) });
    expect(JSON.parse(readFileSync(join(runs, run, 'labels.json._S3rver_object'), 'utf8'))).toEqual(saved.labels);
    // spec.json is a custom spec with absolute times (runnable again, here or on AWS); every anomaly has its verdict.
    expect(JSON.parse(readFileSync(join(runs, run, 'spec.json._S3rver_object'), 'utf8'))).toEqual({
      name: 'burst-and-silence',
      incidents: [
        { kind: 'error_burst', partition: 'payments#eu-west-1', start: '2026-11-16T15:15:00.000Z', durationMinutes: 8, magnitude: 0.3 },
        { kind: 'silent', partition: 'gateway#us-east-1', start: '2026-11-16T15:35:00.000Z', durationMinutes: 12 },
      ],
    });
    const labelled = JSON.parse(readFileSync(join(runs, run, 'labelled-anomalies.json._S3rver_object'), 'utf8')) as Array<{ verdict: { matched: boolean } }>;
    expect(labelled).toHaveLength(r.anomalies);
    expect(labelled.filter((a) => !a.verdict.matched)).toHaveLength(r.falseAnomalies);
  }, 600_000);
});
