/**
 * PublishProfiles: makes the promoted model the one every trained partition uses. Asks the new
 * endpoint for each partition's proactive thresholds over the next 24 hours, stores them in the
 * model bucket (`thresholdsKey`), and publishes a new profile version per partition whose `model`
 * references the job, the endpoint and the thresholds; ProfileStore flips CURRENT atomically, so
 * scorers and closers pick it up within their cache TTL. Retry-safe: a partition whose CURRENT
 * already references the job is left as it is.
 */
import { thresholdsKey } from '../core/resources';
import { validateProfile } from '../core/profile';
import type { PartitionThresholds } from '../core/model-contract';
import type { Profile } from '../core/types';
import type { ObjectStore } from '../adapters/object-store';
import type { ProfileStore } from '../adapters/profile-store';
import type { ModelInvoker } from './model-invoker';
import type { PublishEvent, PublishOutput, PublishedPartition } from './types';

/** What {@link publishProfiles} needs. */
export interface PublishDeps {
  /** The model bucket (thresholds go there). */
  models: ObjectStore;
  /** Profiles (read CURRENT uncached: construct with `cacheTtlMs: 0`). */
  profiles: ProfileStore;
  invoker: ModelInvoker;
  /** Hours of thresholds. Default 24. */
  hours?: number;
}

/** The endpoint returned no thresholds for a partition the model was trained on. */
export class ThresholdsMissingError extends Error {
  override readonly name = 'ThresholdsMissingError';
}

const HOUR_MS = 3_600_000;

/** Publishes the model to every trained partition's profile. */
export async function publishProfiles(event: PublishEvent, deps: PublishDeps): Promise<PublishOutput> {
  if (event.refreshOnly) return refreshThresholds(event, deps);
  if (!event.endpointName) throw new ThresholdsMissingError(`PublishProfiles for ${event.jobName} needs endpointName (the deployed endpoint).`);
  const endpointName = event.endpointName;
  const hours = deps.hours ?? 24;
  const from = Math.floor(event.now / HOUR_MS) * HOUR_MS;
  const res = await deps.invoker.thresholds(endpointName, { op: 'thresholds', partitions: event.partitions, from, hours });
  const byPartition = new Map<string, PartitionThresholds>(res.thresholds.map((t) => [t.partition, t]));
  const missing = event.partitions.filter((p) => !byPartition.has(p));
  if (missing.length) {
    throw new ThresholdsMissingError(`Endpoint ${event.endpointName} (model ${res.modelVersion}) returned no thresholds for ${missing.join(', ')}, which job ${event.jobName} was trained on.`);
  }
  const published: PublishedPartition[] = [];
  for (const partition of event.partitions) {
    const key = thresholdsKey(partition, event.jobName);
    await deps.models.putJson(key, byPartition.get(partition));
    const current = await deps.profiles.getCurrent(partition);
    if (!current) {
      published.push({ partition, status: 'skipped', version: null, thresholdsKey: key, note: 'no baseline profile yet: run the profile builder, then publish again' });
      continue;
    }
    if (current.model?.version === event.jobName) {
      published.push({ partition, status: 'unchanged', version: current.version, thresholdsKey: key });
      continue;
    }
    const version = Math.max(current.version, await deps.profiles.currentVersion(partition)) + 1;
    const next: Profile = validateProfile({
      ...current,
      version,
      builtAt: event.now,
      model: { version: event.jobName, endpoint: endpointName, thresholdsKey: key },
    });
    const flipped = await deps.profiles.publish(next);
    published.push({ partition, status: 'published', version: flipped ? version : await deps.profiles.currentVersion(partition), thresholdsKey: key });
  }
  return { modelVersion: event.jobName, endpointName, published };
}

/**
 * The champion was kept: recompute its thresholds for the coming hours from its own endpoint and
 * overwrite the objects its profiles already point at (the key is per model version), so bands
 * never run out while a champion defends its title. Partitions it does not serve are skipped; an
 * unreachable champion endpoint is reported, not fatal (the run's decision stands).
 */
export async function refreshThresholds(event: PublishEvent, deps: PublishDeps): Promise<PublishOutput> {
  const hours = deps.hours ?? 24;
  const from = Math.floor(event.now / HOUR_MS) * HOUR_MS;
  const served = new Map<string, number>();
  let endpoint: string | undefined;
  for (const p of event.partitions) {
    const current = await deps.profiles.getCurrent(p);
    if (current?.model?.version === event.jobName && current.model.endpoint) {
      served.set(p, current.version);
      endpoint ??= current.model.endpoint;
    }
  }
  const skip = (partition: string, note: string): PublishedPartition => ({ partition, status: 'skipped', version: null, thresholdsKey: thresholdsKey(partition, event.jobName), note });
  const notServed = event.partitions.filter((p) => !served.has(p)).map((p) => skip(p, `not served by champion ${event.jobName}`));
  if (!endpoint) return { modelVersion: event.jobName, endpointName: '', published: notServed };
  let res;
  try {
    res = await deps.invoker.thresholds(endpoint, { op: 'thresholds', partitions: [...served.keys()], from, hours });
  } catch (err) {
    const why = `champion endpoint ${endpoint} unreachable (${(err as Error).message}): thresholds not refreshed`;
    return { modelVersion: event.jobName, endpointName: endpoint, published: [...[...served.keys()].map((p) => skip(p, why)), ...notServed] };
  }
  const byPartition = new Map<string, PartitionThresholds>(res.thresholds.map((t) => [t.partition, t]));
  const published: PublishedPartition[] = [];
  for (const [partition, version] of served) {
    const t = byPartition.get(partition);
    if (!t) {
      published.push(skip(partition, `endpoint ${endpoint} returned no thresholds`));
      continue;
    }
    const key = thresholdsKey(partition, event.jobName);
    await deps.models.putJson(key, t);
    published.push({ partition, status: 'refreshed', version, thresholdsKey: key });
  }
  return { modelVersion: event.jobName, endpointName: endpoint, published: [...published, ...notServed] };
}
