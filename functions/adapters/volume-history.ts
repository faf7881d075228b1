import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { forEachLimit } from '../core/concurrency';
import { windowFeaturesKey, windowsPrefix } from '../core/resources';
import { shadowWindowFromFeatures } from '../core/shadow-log';
import type { WindowFeatures } from '../core/types';
import type { CapacityWindow, VolumeHistoryPort } from '../capacity/capacity-run';
import { ObjectStore } from './object-store';

/** Options of {@link WindowVolumeHistory}. */
export interface WindowVolumeHistoryOptions {
  client: S3Client;
  /** The dataset bucket (window features under `windows/`). */
  bucket: string;
  /** Parallel S3 reads. Default 16. */
  concurrency?: number;
  /**
   * Ranges up to this long are read by key, one GetObject per partition and minute (the closer's
   * `windowFeaturesKey`; a missing object is a minute without features). Longer ranges list each
   * day's folder and also read history batches (`batch-*.jsonl.gz`). Default 60 min.
   */
  directReadMaxMs?: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * Closed windows' features in the dataset bucket, as the capacity function reads them: the window
 * closer writes one object per partition and minute, history imports one gzip JSON-lines batch per
 * partition and day. Partitions are the bucket's `windows/partition=<p>/` folders. Volumes are
 * the stored event counts and message bytes; Kinesis records are
 * derived from events with a ratio (the scorer does not store record counts).
 */
export class WindowVolumeHistory implements VolumeHistoryPort {
  private readonly store: ObjectStore;

  constructor(private readonly options: WindowVolumeHistoryOptions) {
    this.store = new ObjectStore({ client: options.client, bucket: options.bucket });
  }

  /**
   * Every partition with a `windows/partition=<p>/` folder: one delimiter listing. When it finds
   * nothing, every key under `windows/` is listed instead: s3rver (the local S3 emulator) answers a
   * delimiter listing of nested keys with nothing at all, and on S3 an empty answer means there is
   * nothing to list anyway.
   */
  async partitions(): Promise<string[]> {
    const out = new Set<string>();
    const add = (key: string | undefined): void => {
      const m = /^windows\/partition=([^/]+)\//.exec(key ?? '');
      if (m) out.add(decodeURIComponent(m[1]));
    };
    let token: string | undefined;
    do {
      const res = await this.options.client.send(
        new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: 'windows/', Delimiter: '/', ContinuationToken: token }),
      );
      for (const p of res.CommonPrefixes ?? []) add(p.Prefix);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    if (out.size === 0) for (const key of await this.store.list('windows/')) add(key);
    return [...out].sort();
  }

  /** Windows of every partition with `from <= windowStart < to`, sorted by partition and time. */
  async windows(from: number, to: number): Promise<CapacityWindow[]> {
    if (!(to > from)) return [];
    const partitions = await this.partitions();
    const found: WindowFeatures[] = [];
    const concurrency = this.options.concurrency ?? 16;
    if (to - from <= (this.options.directReadMaxMs ?? 60 * MINUTE)) {
      const keys: string[] = [];
      for (const p of partitions) for (let t = Math.ceil(from / MINUTE) * MINUTE; t < to; t += MINUTE) keys.push(windowFeaturesKey(p, t));
      await forEachLimit(keys, concurrency, async (key) => {
        const w = await this.store.getJson<WindowFeatures>(key);
        if (w) found.push(w);
      });
    } else {
      const keys: string[] = [];
      await forEachLimit(partitions, concurrency, async (p) => {
        for (let d = Math.floor(from / DAY) * DAY; d < to; d += DAY) {
          const prefix = `${windowsPrefix(p)}date=${new Date(d).toISOString().slice(0, 10)}/`;
          for (const key of await this.store.list(prefix)) {
            const m = /\/(\d{2})(\d{2})\.json$/.exec(key);
            if (m) {
              const t = d + Number(m[1]) * 3_600_000 + Number(m[2]) * MINUTE;
              if (t >= from && t < to) keys.push(key);
            } else if (key.endsWith('.jsonl.gz')) keys.push(key);
          }
        }
      });
      await forEachLimit(keys, concurrency, async (key) => {
        if (key.endsWith('.jsonl.gz')) for (const w of (await this.store.getJsonLines<WindowFeatures>(key)) ?? []) found.push(w);
        else {
          const w = await this.store.getJson<WindowFeatures>(key);
          if (w) found.push(w);
        }
      });
    }
    // One window per (partition, minute): a minute in both a batch and its own object counts once.
    const unique = new Map<string, WindowFeatures>();
    for (const w of found) if (w.windowStart >= from && w.windowStart < to) unique.set(`${w.partition}|${w.windowStart}`, w);
    return [...unique.values()]
      .sort((a, b) => a.partition.localeCompare(b.partition) || a.windowStart - b.windowStart)
      .map((w) => shadowWindowFromFeatures(w));
  }
}
