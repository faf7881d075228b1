/**
 * The model container's two SageMaker contracts, run as child processes in a temporary
 * /opt/ml-like folder: `train` (channels, hyperparameters.json, model/, output/failure, metric
 * lines) and `serve` (GET /ping, POST /invocations), reached through the real
 * @aws-sdk/client-sagemaker-runtime with only its endpoint changed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthWindows } from '../../functions/core/synth/windows';
import { parseMetricLog } from '../../functions/core/evaluation';
import type { ScoreResponse, ThresholdsResponse } from '../../functions/core/model-contract';

const ENTRY = join(process.cwd(), 'models', 'main.ts');
const PARTITIONS = ['checkout#eu-west-1', 'search#us-east-1'];

function run(root: string, command: string, env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, command], { env: { ...process.env, HARBINGER_ML_ROOT: root, ...env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
}

function contractRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'harbinger-ml-'));
  mkdirSync(join(root, 'input', 'data', 'train', 'nested'), { recursive: true });
  mkdirSync(join(root, 'input', 'data', 'holdout'), { recursive: true });
  mkdirSync(join(root, 'input', 'config'), { recursive: true });
  return root;
}

describe('model container: SageMaker training and inference contracts', () => {
  let root: string;
  let trained: { code: number | null; out: string };
  let server: ChildProcess | undefined;
  let port = 0;

  beforeAll(async () => {
    root = contractRoot();
    const windows = synthWindows({ partitions: PARTITIONS, days: 2, seed: 3 });
    const half = windows.length >> 1;
    writeFileSync(join(root, 'input', 'data', 'train', 'a.jsonl'), windows.slice(0, half).map((w) => JSON.stringify(w)).join('\n') + '\n{"broken":\n');
    writeFileSync(join(root, 'input', 'data', 'train', 'nested', 'b.jsonl.gz'), gzipSync(windows.slice(half).map((w) => JSON.stringify(w)).join('\n')));
    const holdout = synthWindows({ partitions: PARTITIONS, days: 1, seed: 4, start: Date.UTC(2026, 10, 4) }).map((w, i) =>
      i % 25 === 0 && w.features.count > 10
        ? { ...w, label: 1, features: { ...w.features, errorCount: w.features.count * 0.4, errorRate: 0.4, status5xxRate: 0.35 } }
        : { ...w, label: 0 },
    );
    writeFileSync(join(root, 'input', 'data', 'holdout', 'h.jsonl'), holdout.map((w) => JSON.stringify(w)).join('\n'));
    writeFileSync(join(root, 'input', 'config', 'hyperparameters.json'), JSON.stringify({ epochs: '4', minSteps: '300', seed: '5' }));
    trained = await run(root, 'train', { TRAINING_JOB_NAME: 'harbinger-vae-test-1' });
  }, 120_000);

  afterAll(() => {
    server?.kill('SIGTERM');
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('train reads both channels (gzip, nested, one bad line skipped) and writes model/model.json', () => {
    expect(trained.code).toBe(0);
    expect(trained.out).toMatch(/read 5760 windows from 2 files \(1 lines skipped\)/);
    const model = JSON.parse(readFileSync(join(root, 'model', 'model.json'), 'utf8')) as { version: string; partitions: Array<{ partition: string }> };
    expect(model.version).toBe('harbinger-vae-test-1');
    expect(model.partitions.map((p) => p.partition)).toEqual(PARTITIONS);
    expect(existsSync(join(root, 'output', 'failure'))).toBe(false);
  });

  it('prints the metric lines SageMaker MetricDefinitions extract, and the holdout is caught', () => {
    const metrics = Object.fromEntries(parseMetricLog(trained.out).map((m) => [m.MetricName, m.Value]));
    expect(metrics['train:loss']).toBeTypeOf('number');
    expect(metrics['holdout:average_precision']).toBeGreaterThan(0.8);
    expect(metrics['holdout:false_positive_rate']).toBeLessThan(0.01);
  });

  it('serve answers /ping and InvokeEndpoint through the real SageMaker Runtime client', async () => {
    server = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'serve'], {
      env: { ...process.env, HARBINGER_ML_ROOT: root, SAGEMAKER_BIND_TO_PORT: '0', HARBINGER_MODEL_HOST: '127.0.0.1' },
    });
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('model server did not start in 60 s')), 60_000);
      server!.stdout!.on('data', (d: Buffer) => {
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(d.toString());
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    const ping = await fetch(`http://127.0.0.1:${port}/ping`);
    expect(ping.status).toBe(200);

    const client = new SageMakerRuntimeClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const w = synthWindows({ partitions: PARTITIONS, days: 1, seed: 9, start: Date.UTC(2026, 10, 6) })[14 * 60];
    const burst = { ...w, features: { ...w.features, errorCount: w.features.count * 0.5, errorRate: 0.5, status5xxRate: 0.45 } };
    const res = await client.send(
      new InvokeEndpointCommand({ EndpointName: 'harbinger-vae', ContentType: 'application/json', Accept: 'application/json', Body: JSON.stringify({ windows: [w, burst] }) }),
    );
    const body = JSON.parse(new TextDecoder().decode(res.Body)) as ScoreResponse;
    expect(body.modelVersion).toBe('harbinger-vae-test-1');
    expect(body.scores).toHaveLength(2);
    expect(body.scores[0].anomalyProbability).toBeLessThan(0.5);
    expect(body.scores[1].anomalyProbability).toBeGreaterThan(0.95);
    expect(body.scores[1].contributions[0].feature).toMatch(/^(errorCount|errorRate|status5xxRate)$/);

    const th = await client.send(
      new InvokeEndpointCommand({ EndpointName: 'harbinger-vae', ContentType: 'application/json', Body: JSON.stringify({ op: 'thresholds', partitions: [PARTITIONS[0]], from: Date.UTC(2026, 10, 7), hours: 24 }) }),
    );
    const thresholds = JSON.parse(new TextDecoder().decode(th.Body)) as ThresholdsResponse;
    expect(thresholds.thresholds[0].hours).toHaveLength(24);

    // A malformed request is a client error naming the problem (InvokeEndpoint surfaces it).
    const bad = await fetch(`http://127.0.0.1:${port}/invocations`, { method: 'POST', body: JSON.stringify({ windows: [{ partition: 'x' }] }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/windows\[0\]: missing windowStart/);
    client.destroy();
  }, 90_000);

  it('a failed training writes output/failure and exits non-zero', async () => {
    const empty = contractRoot();
    try {
      writeFileSync(join(empty, 'input', 'config', 'hyperparameters.json'), JSON.stringify({ epochs: 'lots' }));
      const r = await run(empty, 'train');
      expect(r.code).toBe(1);
      expect(readFileSync(join(empty, 'output', 'failure'), 'utf8')).toMatch(/HyperparameterError: Hyperparameter epochs="lots" is invalid/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 60_000);
});
