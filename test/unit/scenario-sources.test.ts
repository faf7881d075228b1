/**
 * Where a scenario run's events come from: the cached window sampler (VAE samples fetched before
 * generation), the source decision per partition (profile or services, `source` option), VAE
 * sampling through a fake endpoint and the fallback to the seasonal statistics when the endpoint
 * fails or does not know the partition (never failing the run), and the Generate step's manifest.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelEndpointError, type ModelSampler } from '../../functions/adapters/model-client';
import { eventWindows } from '../../functions/core/offline';
import { contextFromProfile } from '../../functions/core/pipeline';
import { FEATURE_NAMES, type FeatureName, type Profile } from '../../functions/core/types';
import type { SampleRequest, SampleResponse } from '../../functions/core/model-contract';
import { chooseSource, GenerationSourceError, generateSourcedEvents } from '../../functions/core/synth/generation-source';
import { cachedWindowSampler, hourStartsOf } from '../../functions/core/synth/sample-cache';
import { DEFAULT_SERVICES } from '../../functions/core/synth/services';
import { ScenarioRunInputError, planScenarioRun } from '../../functions/core/synth/scenario-run';
import { generateRunEvents } from '../../functions/scenario/generate';
import { resolveSources, type SourcedRun } from '../../functions/scenario/sources';
import { historyFixture, HOUR, MIN, RULES } from './synth-profile-fixtures';

const PARTITION = 'checkout#eu-west-1';
/** Monday 2026-11-16 15:00 UTC: the run's stretch (the fixture's profile covers 08:00-10:00; other hours fall back to its global stats). */
const T0 = Date.UTC(2026, 10, 16, 15);

let profile: Profile;

beforeAll(() => {
  profile = historyFixture(['checkout'], 2).profiles.get(PARTITION)!;
});

const row = (count: number): Record<FeatureName, number> => {
  const r = Object.fromEntries(FEATURE_NAMES.map((f) => [f, 0])) as Record<FeatureName, number>;
  r.count = count;
  r.errorCount = 0;
  r.latencyP50 = 40;
  r.latencyP95 = 120;
  r.latencyP99 = 200;
  return r;
};

/** A model endpoint in memory: answers every hour with `count` lines per minute, or fails. */
class FakeEndpoint implements ModelSampler {
  readonly requests: Array<{ request: SampleRequest['sample']; endpointName?: string }> = [];
  constructor(private readonly behaviour: { count?: number; fail?: Error; known?: boolean } = {}) {}
  async sample(request: SampleRequest['sample'], options: { endpointName?: string } = {}): Promise<SampleResponse> {
    this.requests.push({ request, endpointName: options.endpointName });
    if (this.behaviour.fail) throw this.behaviour.fail;
    if (this.behaviour.known === false) return { modelVersion: 'vae-1', partition: request.partition, knownPartition: false, hours: [] };
    return { modelVersion: 'vae-1', partition: request.partition, knownPartition: true, hours: request.hourStarts.map((hourStart) => ({ hourStart, windows: Array.from({ length: request.n }, () => row(this.behaviour.count ?? 5)) })) };
  }
}

const withModel = (p: Profile): Profile => ({ ...p, model: { version: 'vae-1', endpoint: 'harbinger-vae' } });
const run = (over: Partial<SourcedRun> = {}): SourcedRun => ({ start: T0, end: T0 + 90 * MIN, seed: 7, scale: 1, incidents: [], services: DEFAULT_SERVICES, partitions: [PARTITION], source: 'auto', windows: 'vae', ...over });
const profiles = (map: Record<string, Profile | null>) => ({ getCurrent: async (p: string) => map[p] ?? null });
const windowCounts = (events: Iterable<{ logGroup: string; logStream: string; timestamp: number; message: string; id: string }>, p: Profile): number[] =>
  (eventWindows(events, () => contextFromProfile(p), { rules: RULES, defaultRegion: 'eu-west-1' }).byPartition.get(p.partition) ?? []).map((w) => w.features.count);

describe('cachedWindowSampler', () => {
  it('serves prefetched hours and falls back, with the reason, for hours it does not have', () => {
    const fallbacks: string[] = [];
    const sampler = cachedWindowSampler({
      hours: new Map([[T0, Array.from({ length: 60 }, () => row(9))]]),
      fallback: (_p, _h, n) => Array.from({ length: n }, () => row(1)),
      onFallback: (f) => fallbacks.push(f.reason),
    });
    expect(sampler(PARTITION, T0, 60).every((r) => r.count === 9)).toBe(true);
    expect(sampler(PARTITION, T0 + HOUR, 60).every((r) => r.count === 1)).toBe(true);
    expect(fallbacks).toEqual([`hour ${new Date(T0 + HOUR).toISOString()} was not prefetched`]);
  });

  it('hourStartsOf covers every hour a stretch touches', () => {
    expect(hourStartsOf(T0 + 30 * MIN, T0 + 2 * HOUR + MIN)).toEqual([T0, T0 + HOUR, T0 + 2 * HOUR]);
    expect(hourStartsOf(T0, T0)).toEqual([]);
  });
});

describe('chooseSource', () => {
  it('auto: the profile when the partition has a usable one, else the services; profile: an error without one', () => {
    expect(chooseSource('auto', PARTITION, profile)).toEqual({ source: 'profile', reason: `CURRENT profile v${profile.version}` });
    expect(chooseSource('auto', PARTITION, null)).toEqual({ source: 'services', reason: 'no CURRENT profile: the service generator' });
    expect(chooseSource('auto', PARTITION, { ...profile, templates: [] }).source).toBe('services');
    expect(chooseSource('services', PARTITION, profile).source).toBe('services');
    expect(() => chooseSource('profile', PARTITION, null)).toThrow(GenerationSourceError);
    expect(() => chooseSource('profile', PARTITION, null)).toThrow(/checkout#eu-west-1: no CURRENT profile, so "source": "profile" cannot generate it/);
  });
});

describe('resolveSources: VAE samples through the endpoint, prefetched', () => {
  it('a profile naming a model: one sample call for the run hours, the windows follow the decoder rows', async () => {
    const endpoint = new FakeEndpoint({ count: 5 });
    const r = await resolveSources(run(), { profiles: profiles({ [PARTITION]: withModel(profile) }), model: endpoint });
    expect(endpoint.requests).toEqual([{ request: { partition: PARTITION, hourStarts: [T0, T0 + HOUR], n: 60, seed: 7 }, endpointName: 'harbinger-vae' }]);
    expect(r.generation).toEqual([
      expect.objectContaining({ partition: PARTITION, source: 'profile', windows: 'vae', profileVersion: profile.version, modelVersion: 'vae-1', sampling: expect.objectContaining({ hours: 2, fallbackHours: 0, calls: 1 }) }),
    ]);
    const counts = windowCounts(generateSourcedEvents(run(), r.partitions), profile);
    expect(counts.length).toBeGreaterThan(80);
    // About 5 lines a minute (a flow may finish with its spawned lines): far below the profile's own volume.
    expect(counts.reduce((a, b) => a + b, 0) / counts.length).toBeLessThan(8);
  });

  it('windows "stats" (the default) uses the seasonal statistics even when the profile names a model: no sample call', async () => {
    const endpoint = new FakeEndpoint();
    const r = await resolveSources(run({ windows: undefined }), { profiles: profiles({ [PARTITION]: withModel(profile) }), model: endpoint });
    expect(r.generation[0]).toMatchObject({ source: 'profile', windows: 'stats' });
    expect(endpoint.requests).toHaveLength(0);
  });

  it('a failing endpoint never fails the run: seasonal statistics, and the reason is recorded', async () => {
    const endpoint = new FakeEndpoint({ fail: new ModelEndpointError('InvokeEndpoint on "harbinger-vae" timed out after 30000 ms', 'timeout', 'harbinger-vae') });
    const r = await resolveSources(run(), { profiles: profiles({ [PARTITION]: withModel(profile) }), model: endpoint });
    expect(r.generation[0]).toMatchObject({ source: 'profile', windows: 'stats', modelVersion: null, sampling: { calls: 1, hours: 0 } });
    expect(r.generation[0].reason).toMatch(/VAE sampling through endpoint "harbinger-vae" failed \(InvokeEndpoint on "harbinger-vae" timed out after 30000 ms\): window features from its seasonal statistics/);
    const counts = windowCounts(generateSourcedEvents(run(), r.partitions), profile);
    expect(counts.reduce((a, b) => a + b, 0) / counts.length).toBeGreaterThan(10);
  });

  it('a model that does not know the partition, a profile without a model, no model client: statistics, each with its reason', async () => {
    const unknown = await resolveSources(run(), { profiles: profiles({ [PARTITION]: withModel(profile) }), model: new FakeEndpoint({ known: false }) });
    expect(unknown.generation[0]).toMatchObject({ windows: 'stats', reason: expect.stringMatching(/model vae-1 was not trained on checkout#eu-west-1/) });
    const noModel = await resolveSources(run(), { profiles: profiles({ [PARTITION]: profile }), model: new FakeEndpoint() });
    expect(noModel.generation[0]).toMatchObject({ windows: 'stats', reason: expect.stringMatching(/no model: window features from its seasonal statistics/) });
    const noClient = await resolveSources(run(), { profiles: profiles({ [PARTITION]: withModel(profile) }) });
    expect(noClient.generation[0].reason).toMatch(/names model vae-1 but no model client is configured/);
  });

  it('services asked for, or no profile: the service generator, which the merged stream interleaves with profile partitions', async () => {
    const both = run({ partitions: [PARTITION, 'payments#eu-west-1'], end: T0 + 10 * MIN });
    const r = await resolveSources(both, { profiles: profiles({ [PARTITION]: profile }) });
    expect(r.generation.map((g) => [g.partition, g.source])).toEqual([
      [PARTITION, 'profile'],
      ['payments#eu-west-1', 'services'],
    ]);
    const events = [...generateSourcedEvents(both, r.partitions)];
    expect(events.every((e, i) => i === 0 || events[i - 1].timestamp <= e.timestamp)).toBe(true);
    expect(new Set(events.map((e) => e.logGroup))).toEqual(new Set(['/harbinger/eu-west-1/checkout', '/harbinger/eu-west-1/payments']));
    const services = await resolveSources(run({ source: 'services' }), { profiles: { getCurrent: async () => expect.unreachable() } });
    expect(services.generation[0]).toMatchObject({ source: 'services', reason: 'source "services" asked for' });
  });

  it('the Generate step turns a profile-only run without a profile into a ScenarioRunInputError', async () => {
    const plan = planScenarioRun({ scenario: 'error-burst', partitions: [PARTITION], source: 'profile' }, { now: T0 });
    expect(plan.options.source).toBe('profile');
    await expect(generateRunEvents(plan, { profiles: profiles({}) })).rejects.toThrow(ScenarioRunInputError);
    expect(() => planScenarioRun({ scenario: 'error-burst', partitions: [PARTITION], source: 'vae' }, { now: T0 })).toThrow(/source/);
    expect(planScenarioRun({ scenario: 'error-burst', partitions: [PARTITION] }, { now: T0 }).options.source).toBe('auto');
  });
});
