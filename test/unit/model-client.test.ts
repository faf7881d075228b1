/**
 * SageMakerModelClient with the real SageMaker Runtime client against a local HTTP server on
 * 127.0.0.1 (request shape, response validation, typed errors), and the thresholds reader's cache.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { createThresholdsReader, ModelEndpointError, SageMakerModelClient } from '../../functions/adapters/model-client';
import type { ObjectStore } from '../../functions/adapters/object-store';
import type { ModelWindow, PartitionThresholds, ScoreRequest } from '../../functions/core/model-contract';
import { emptyWindowFeatures } from '../../functions/core/features';
import { thresholdsKey } from '../../functions/core/resources';
import type { Profile } from '../../functions/core/types';

let server: Server;
let port = 0;
let reply: (body: ScoreRequest) => { status: number; body: string; headers?: Record<string, string> };
const seen: Array<{ url?: string; contentType?: string; accept?: string; body: ScoreRequest }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ScoreRequest;
      seen.push({ url: req.url, contentType: req.headers['content-type'], accept: req.headers.accept, body });
      const r = reply(body);
      res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
      res.end(r.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function client(endpointName?: string): SageMakerModelClient {
  const sdk = new SageMakerRuntimeClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return new SageMakerModelClient({ client: sdk, endpointName, timeoutMs: 2_000 });
}

const empty = emptyWindowFeatures('checkout#us-east-1', 60_000);
const windows: ModelWindow[] = [{ partition: empty.partition, windowStart: empty.windowStart, features: empty.features }];

describe('SageMakerModelClient', () => {
  it('sends a JSON score request to /endpoints/<name>/invocations and validates the response', async () => {
    reply = (body) => ({
      status: 200,
      body: JSON.stringify({
        modelVersion: 'vae-1',
        scores: body.windows.map((w) => ({ partition: w.partition, windowStart: w.windowStart, logLikelihood: -3, pValue: 0.4, anomalyProbability: 0, contributions: [], knownPartition: true })),
      }),
    });
    const res = await client('harbinger-vae').score(windows);
    expect(res.modelVersion).toBe('vae-1');
    expect(res.scores).toHaveLength(1);
    const req = seen.at(-1)!;
    expect(req.url).toBe('/endpoints/harbinger-vae/invocations');
    expect(req.contentType).toBe('application/json');
    expect(req.accept).toBe('application/json');
    expect(req.body).toEqual({ op: 'score', windows });
  });

  it('prefers its own endpoint name over the per-call one, and uses the per-call one when it has none', async () => {
    await client('from-env').score(windows, { endpointName: 'from-profile' });
    expect(seen.at(-1)!.url).toBe('/endpoints/from-env/invocations');
    await client().score(windows, { endpointName: 'from-profile' });
    expect(seen.at(-1)!.url).toBe('/endpoints/from-profile/invocations');
    await expect(client().score(windows)).rejects.toMatchObject({ name: 'ModelEndpointError', kind: 'not-configured' });
  });

  it('reports a malformed body as ModelEndpointError (malformed)', async () => {
    reply = () => ({ status: 200, body: '{"modelVersion":"v","scores":[{"partition":"x"}]}' });
    const err = await client('e').score(windows).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelEndpointError);
    expect(err).toMatchObject({ kind: 'malformed' });
    reply = () => ({ status: 200, body: 'not json' });
    await expect(client('e').score(windows)).rejects.toMatchObject({ kind: 'malformed' });
  });

  it('reports an endpoint error with what to check', async () => {
    reply = () => ({ status: 424, body: JSON.stringify({ message: 'model container crashed' }), headers: { 'x-amzn-errortype': 'ModelError' } });
    const err = (await client('e').score(windows).catch((e: unknown) => e)) as ModelEndpointError;
    expect(err).toBeInstanceOf(ModelEndpointError);
    expect(err.kind).toBe('endpoint-error');
    expect(err.message).toMatch(/endpoint "e" answered ModelError/);
    expect(err.message).toMatch(/check that the endpoint exists and is InService/);
  });
});

describe('createThresholdsReader', () => {
  it('reads the thresholds key of the profile model once per key, and not for profiles without a model', async () => {
    const reads: string[] = [];
    const doc = { partition: 'p', modelVersion: 'v1', computedAt: 0, quantileLevels: [0.5], hours: [] } satisfies PartitionThresholds;
    const store = { getJson: async (key: string) => (reads.push(key), doc) } as unknown as ObjectStore;
    const read = createThresholdsReader({ store });
    const profile = { partition: 'p', model: { version: 'v1' } } as Profile;
    expect(await read('p', profile)).toEqual(doc);
    expect(await read('p', profile)).toEqual(doc);
    expect(reads).toEqual([thresholdsKey('p', 'v1')]);
    await read('p', { ...profile, model: { version: 'v1', thresholdsKey: 'custom.json' } });
    expect(reads.at(-1)).toBe('custom.json');
    expect(await read('p', { ...profile, model: undefined })).toBeNull();
  });

  it('does not cache a failed read', async () => {
    let calls = 0;
    const store = {
      getJson: async () => {
        calls++;
        if (calls === 1) throw new Error('throttled');
        return null;
      },
    } as unknown as ObjectStore;
    const read = createThresholdsReader({ store });
    const profile = { partition: 'p', model: { version: 'v1' } } as Profile;
    await expect(read('p', profile)).rejects.toThrow('throttled');
    expect(await read('p', profile)).toBeNull();
    expect(calls).toBe(2);
  });
});
