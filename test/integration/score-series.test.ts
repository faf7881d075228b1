/**
 * `harbinger score-series` as a user runs it: a real child process on a CSV with a bad row.
 * Uses infra/local/cli.ts once it registers the command, else a minimal entry that does.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32, normal } from '../../functions/core/random';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ROWS = 900;
const SPIKE = 700;
const BAD = 300;

/** A 5-minute series with a daily cycle, one spike and one unreadable row. */
function writeCsv(file: string): { spikeStamp: string } {
  const rng = mulberry32(3);
  const lines = ['timestamp,value'];
  let spikeStamp = '';
  for (let i = 0; i < ROWS; i++) {
    const stamp = new Date(Date.UTC(2024, 2, 1) + i * 300_000).toISOString().replace('T', ' ').slice(0, 19);
    let v = 100 + 20 * Math.sin((2 * Math.PI * i) / 288) + 2 * normal(rng);
    if (i === SPIKE) {
      v += 60;
      spikeStamp = stamp;
    }
    lines.push(i === BAD ? `${stamp},n/a` : `${stamp},${v.toFixed(3)}`);
  }
  writeFileSync(file, lines.join('\n') + '\n');
  return { spikeStamp };
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const registered = readFileSync(join(REPO, 'infra/local/cli.ts'), 'utf8').includes('registerSeriesCommand');
  const entry = registered
    ? ['infra/local/cli.ts']
    : [
        '--input-type=module',
        '-e',
        `import { Command } from 'commander';
         const { registerSeriesCommand } = await import('./infra/local/series-command.ts');
         const program = new Command().name('harbinger');
         registerSeriesCommand(program);
         program.parseAsync(process.argv.slice(1), { from: 'user' }).catch((err) => { console.error('harbinger: ' + err.message); process.exitCode = 1; });`,
        '--',
      ];
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...entry, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('harbinger score-series', () => {
  it('scores a CSV online, reports the bad row, and ranks the spike first', () => {
    const d = mkdtempSync(join(tmpdir(), 'harbinger-series-'));
    const input = join(d, 'cpu.csv');
    const { spikeStamp } = writeCsv(input);
    const out = join(d, 'scores.csv');
    const r = cli(['score-series', input, '--out', out]);
    expect(r.stderr).toMatch(/1 row\(s\) skipped \(line 302: value is not a number \("n\/a"\)\)/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/899 scored, 1 skipped/);
    expect(r.stdout).toContain(`written: ${out}`);

    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('timestamp,anomaly_score');
    expect(lines).toHaveLength(ROWS); // header + 899 rows
    const rows = lines.slice(1).map((l) => l.split(','));
    for (const [stamp, score] of rows) {
      expect(stamp).toMatch(/^2024-03-\d\d \d\d:\d\d:\d\d$/);
      expect(Number(score)).toBeGreaterThanOrEqual(0);
      expect(Number(score)).toBeLessThanOrEqual(1);
    }
    const best = rows.reduce((a, b) => (Number(b[1]) > Number(a[1]) ? b : a));
    expect(best[0]).toBe(spikeStamp);
    expect(Number(best[1])).toBeGreaterThanOrEqual(0.95);
    // The summary's top row is the spike too.
    expect(r.stdout.split('top rows:')[1].trim().split('\n')[0]).toContain(spikeStamp);
  }, 120_000);

  it('writes <name>.scores.csv next to the input by default and explains a missing file', () => {
    const d = mkdtempSync(join(tmpdir(), 'harbinger-series-'));
    const input = join(d, 'tiny.csv');
    writeFileSync(input, 'time,a,b\n' + Array.from({ length: 60 }, (_, i) => `${1_700_000_000 + i * 60},${i % 7},${(i * 3) % 11}`).join('\n') + '\n');
    const r = cli(['score-series', input, '--quiet']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const lines = readFileSync(join(d, 'tiny.scores.csv'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(61);
    expect(lines[1].startsWith('1700000000,')).toBe(true);

    const missing = cli(['score-series', join(d, 'nope.csv')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/No such file/);
  }, 120_000);
});
