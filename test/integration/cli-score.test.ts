/**
 * `harbinger score` as a user runs it: a real child process on plain log files, no AWS, no emulator.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEvents } from '../../functions/core/synth/generator';
import { DEFAULT_SERVICES, withOverrides } from '../../functions/core/synth/services';
import type { Anomaly } from '../../functions/core/types';

const MINUTE = 60_000;
const DAY = 86_400_000;
const checkout = withOverrides(DEFAULT_SERVICES.find((s) => s.name === 'checkout')!, { regions: ['us-east-1'] });
const T0 = Date.UTC(2026, 10, 9, 0, 0); // a Monday

function writeLines(file: string, start: number, end: number, seed: number, incidents = [] as Parameters<typeof generateEvents>[0]['incidents']): void {
  const lines: string[] = [];
  for (const e of generateEvents({ services: [checkout], start, end, seed, incidents })) lines.push(e.message);
  writeFileSync(file, lines.join('\n') + '\n');
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'infra/local/cli.ts', ...args], {
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('harbinger score', () => {
  it('learns from history files and finds an error burst in the scored files, writing JSON', () => {
    const d = mkdtempSync(join(tmpdir(), 'harbinger-score-'));
    mkdirSync(join(d, 'history'));
    mkdirSync(join(d, 'today'));
    // A week of history (same weekday and hour covered), then 3 hours on the next Monday afternoon.
    writeLines(join(d, 'history', 'checkout.log'), T0, T0 + 7 * DAY, 1);
    const start = T0 + 7 * DAY + 14 * 60 * MINUTE;
    const incident = { kind: 'error_burst' as const, service: 'checkout', region: 'us-east-1', start: start + 90 * MINUTE, durationMs: 15 * MINUTE };
    writeLines(join(d, 'today', 'checkout.log'), start, start + 180 * MINUTE, 2, [incident]);
    const out = join(d, 'anomalies.json');
    const r = cli(['score', join(d, 'today'), '--history', join(d, 'history'), '--out', out]);
    expect(r.stderr).toContain('profile checkout#us-east-1');
    expect(r.status).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { windows: number; anomalies: Anomaly[] };
    expect(doc.windows).toBe(180);
    const inIncident = doc.anomalies.filter((a) => a.windowStart >= incident.start && a.windowStart < incident.start + incident.durationMs);
    const outside = doc.anomalies.filter((a) => !inIncident.includes(a));
    expect(inIncident.length).toBeGreaterThanOrEqual(10);
    expect(inIncident.some((a) => a.kind === 'error_spike')).toBe(true);
    // Few false alarms over the 165 clean minutes.
    expect(outside.length).toBeLessThanOrEqual(3);
    expect(r.stdout).toContain('error_spike');
    expect(r.stdout).toMatch(/anomalies written to/);
  }, 300_000);

  it('explains a missing path and exits non-zero', () => {
    const r = cli(['score', '/nonexistent/logs']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('No such file or folder: /nonexistent/logs');
  }, 60_000);
});

describe('harbinger emulators', () => {
  it('starts the local stack, prints a working environment, and stops cleanly on SIGINT', async () => {
    const { spawn } = await import('node:child_process');
    const { KinesisClient, ListStreamsCommand } = await import('@aws-sdk/client-kinesis');
    const { NodeHttpHandler } = await import('@smithy/node-http-handler');
    const dataDir = mkdtempSync(join(tmpdir(), 'harbinger-emu-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/cli.ts', 'emulators', '--data-dir', dataDir], {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 90_000;
    while (!out.includes('Press Ctrl-C') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    expect(out).toContain('Press Ctrl-C');
    const endpoint = /AWS_ENDPOINT_URL_KINESIS=(\S+)/.exec(out)?.[1];
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const kinesis = new KinesisClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, requestHandler: new NodeHttpHandler() });
    const streams = await kinesis.send(new ListStreamsCommand({}));
    expect(streams.StreamNames).toContain('harbinger-logs');
    kinesis.destroy();
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('Stopped.');
  }, 120_000);
});
