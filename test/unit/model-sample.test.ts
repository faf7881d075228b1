/**
 * The sample request of the model contract (POST /invocations {"sample": {...}}): one zod
 * definition in functions/core/model-contract.ts, validated at the server (models/serve.ts), read
 * back by the client; the server draws the same rows as the in-process VAE window sampler.
 */
import { describe, expect, it } from 'vitest';
import { hourSampleSeed, ModelContractError, parseSampleRequest, parseSampleResponse, SAMPLE_LIMITS } from '../../functions/core/model-contract';
import { FEATURE_NAMES, type FeatureName } from '../../functions/core/types';
import { BadRequestError, sample } from '../../models/serve';
import { vaeWindowSampler } from '../../models/window-sampler';

const HOUR = 3_600_000;
const H0 = Date.UTC(2026, 10, 16, 15);

/** A model whose "decoder" writes the seed and minute into the rows, and knows one partition. */
function fakeModel(known = 'checkout#us-east-1') {
  const calls: Array<{ partition: string; hourStart: number; n: number; seed: number }> = [];
  return {
    calls,
    version: 'harbinger-vae-test',
    sampleWindows(partition: string, hourStart: number, n: number, seed: number): Array<Record<FeatureName, number>> {
      calls.push({ partition, hourStart, n, seed });
      if (partition !== known) return [];
      return Array.from({ length: n }, (_, i) => {
        const row = Object.fromEntries(FEATURE_NAMES.map((f) => [f, 0])) as Record<FeatureName, number>;
        row.count = 10 + i;
        row.bytes = seed;
        return row;
      });
    },
  };
}

describe('sample request: validation (the one definition, used by the server)', () => {
  it('accepts partition, whole-hour starts, n and seed', () => {
    const r = parseSampleRequest({ sample: { partition: 'checkout#us-east-1', hourStarts: [H0, H0 + HOUR], n: 60, seed: 7 } });
    expect(r.sample.hourStarts).toEqual([H0, H0 + HOUR]);
  });

  it.each([
    [{}, /sample: /],
    [{ sample: { partition: '', hourStarts: [H0], n: 60, seed: 7 } }, /sample\.partition/],
    [{ sample: { partition: 'p', hourStarts: [H0 + 1], n: 60, seed: 7 } }, /sample\.hourStarts\.0: must be the start of an hour/],
    [{ sample: { partition: 'p', hourStarts: [], n: 60, seed: 7 } }, /sample\.hourStarts/],
    [{ sample: { partition: 'p', hourStarts: Array.from({ length: SAMPLE_LIMITS.maxHours + 1 }, (_, i) => H0 + i * HOUR), n: 60, seed: 7 } }, /at most 48 hours per call/],
    [{ sample: { partition: 'p', hourStarts: [H0], n: 61, seed: 7 } }, /sample\.n/],
    [{ sample: { partition: 'p', hourStarts: [H0], n: 60, seed: 1.5 } }, /sample\.seed/],
    [{ sample: { partition: 'p', hourStarts: [H0], n: 60, seed: 7, extra: 1 } }, /sample/],
  ])('refuses %j naming the field', (body, message) => {
    expect(() => parseSampleRequest(body)).toThrow(ModelContractError);
    expect(() => parseSampleRequest(body)).toThrow(message);
  });

  it('the server refuses an invalid request with a 400 naming the field and an example', () => {
    const model = fakeModel();
    try {
      sample(model, { sample: { partition: 'p', hourStarts: [H0 + 5], n: 60, seed: 1 } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(BadRequestError);
      expect((e as BadRequestError).status).toBe(400);
      expect((e as Error).message).toMatch(/hourStarts\.0: must be the start of an hour.*Example: \{"sample"/);
    }
    expect(model.calls).toEqual([]);
  });
});

describe('sample request: the server', () => {
  it('draws n rows per hour seeded by hourSampleSeed(seed, hour): the same rows as the in-process vaeWindowSampler', () => {
    const model = fakeModel();
    const res = sample(model, { sample: { partition: 'checkout#us-east-1', hourStarts: [H0, H0 + HOUR], n: 60, seed: 42 } });
    expect(res).toMatchObject({ modelVersion: 'harbinger-vae-test', partition: 'checkout#us-east-1', knownPartition: true });
    expect(res.hours.map((h) => [h.hourStart, h.windows.length])).toEqual([
      [H0, 60],
      [H0 + HOUR, 60],
    ]);
    expect(res.hours[1].windows[0].bytes).toBe(hourSampleSeed(42, H0 + HOUR));
    // In-process sampler, same model, same seed: identical rows.
    expect(vaeWindowSampler(model, 42)('checkout#us-east-1', H0 + HOUR, 60)).toEqual(res.hours[1].windows);
    // The answer survives the client's validation unchanged.
    expect(parseSampleResponse(JSON.parse(JSON.stringify(res)))).toEqual(res);
  });

  it('a partition the model was not trained on: knownPartition false, no hours', () => {
    const res = sample(fakeModel(), { sample: { partition: 'other#eu-west-1', hourStarts: [H0], n: 60, seed: 1 } });
    expect(res).toEqual({ modelVersion: 'harbinger-vae-test', partition: 'other#eu-west-1', knownPartition: false, hours: [] });
  });
});

describe('sample response: the client side', () => {
  it('fills features a row lacks with 0 and drops features this build does not know', () => {
    const r = parseSampleResponse({ modelVersion: 'v', partition: 'p', knownPartition: true, hours: [{ hourStart: H0, windows: [{ count: 3, futureFeature: 9 }] }] });
    expect(r.hours[0].windows[0].count).toBe(3);
    expect(r.hours[0].windows[0].latencyP50).toBe(0);
    expect('futureFeature' in r.hours[0].windows[0]).toBe(false);
  });

  it('refuses a body that is not a sample response', () => {
    expect(() => parseSampleResponse({ modelVersion: 'v', partition: 'p', knownPartition: true, hours: [{ hourStart: H0, windows: [{ count: 'x' }] }] })).toThrow(/sample response: hours\.0\.windows\.0\.count/);
    expect(() => parseSampleResponse({ scores: [] })).toThrow(ModelContractError);
  });
});
