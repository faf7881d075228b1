/**
 * Runs the `harbinger` CLI as a child process, asynchronously: emulators started in the test
 * process must keep answering while it runs (spawnSync would block them).
 */
import { spawn } from 'node:child_process';

/** What the CLI printed and how it exited. */
export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tsx infra/local/cli.ts <args>` with this process's environment; killed after `timeoutMs` (default 60 s). */
export function runCli(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/cli.ts', ...args], { env: { ...process.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
