/**
 * `harbinger sensitivity` against the local emulators: moves a partition's alert level on its
 * CURRENT pointer (no new profile version, no retraining), and refuses what cannot be set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from './run-cli';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startLocalStack, type LocalStack } from '../../infra/local/local-stack';
import { ProfileStore, SensitivityError } from '../../functions/adapters/profile-store';
import { buildProfile } from '../../functions/core/profile';
import { synthWindows } from '../../functions/core/synth/windows';

const P = 'checkout#eu-west-1';
let stack: LocalStack;
let store: ProfileStore;

const cli = (args: string[]): Promise<CliResult> => runCli(['sensitivity', ...args]);

beforeAll(async () => {
  stack = await startLocalStack();
  store = new ProfileStore({ client: DynamoDBDocumentClient.from(stack.clients.dynamodb), table: stack.names.table, cacheTtlMs: 0 });
  const windows = synthWindows({ partitions: [P], days: 1, seed: 2 }).map((w) => ({ ...w, templates: {}, newTemplates: {}, samples: {} }));
  await store.publish(buildProfile({ partition: P, windows, templates: [], version: 1, builtAt: Date.UTC(2026, 10, 3) }));
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe('harbinger sensitivity', () => {
  it('lists, then sets a partition level on CURRENT without a new profile version', async () => {
    const listed = await cli([]);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/checkout#eu-west-1\s+0\.95\s+profile v1, statistical only/);
    const set = await cli(['0.99', '--partition', P]);
    expect(set.status).toBe(0);
    expect(set.stdout).toContain('Set 1 partition(s) to 0.99');
  }, 90_000);

  it('the new level is what scorers load, on the same version', async () => {
    const p = await store.getCurrent(P);
    expect(p?.sensitivity).toBe(0.99);
    expect(p?.version).toBe(1);
    expect(await store.versions(P)).toEqual([1]);
  });

  it('refuses an out-of-range level and a partition without a profile, saying what to do', async () => {
    const bad = await cli(['1.5']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/must be a probability in \[0\.5, 0\.9999\]/);
    const unknown = await cli(['0.9', '--partition', 'nope#nowhere']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/has no published profile: build one first/);
    await expect(store.setSensitivity(P, 0.2)).rejects.toThrow(SensitivityError);
  }, 90_000);
});
