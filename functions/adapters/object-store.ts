import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * JSON documents in an S3 bucket. Keys are deterministic, so a retried write overwrites itself
 * (idempotent). Bodies ending in `.gz` are gzip-compressed.
 */
export class ObjectStore {
  constructor(private readonly options: { client: S3Client; bucket: string }) {}

  /** The bucket name. */
  get bucket(): string {
    return this.options.bucket;
  }

  /** Writes a JSON document (gzip when the key ends with .gz). */
  async putJson(key: string, value: unknown): Promise<void> {
    const text = JSON.stringify(value);
    await this.putBytes(key, key.endsWith('.gz') ? gzipSync(text) : Buffer.from(text), 'application/json');
  }

  /** Writes newline-delimited JSON (gzip when the key ends with .gz). */
  async putJsonLines(key: string, values: unknown[]): Promise<void> {
    const text = values.map((v) => JSON.stringify(v)).join('\n') + '\n';
    await this.putBytes(key, key.endsWith('.gz') ? gzipSync(text) : Buffer.from(text), 'application/x-ndjson');
  }

  /** Writes raw bytes. */
  async putBytes(key: string, body: Uint8Array, contentType = 'application/octet-stream'): Promise<void> {
    await this.options.client.send(
      new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  /** Reads a JSON document, or null when the key does not exist. */
  async getJson<T>(key: string): Promise<T | null> {
    const bytes = await this.getBytes(key);
    if (!bytes) return null;
    const text = (key.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
    return JSON.parse(text) as T;
  }

  /** Reads newline-delimited JSON (gunzipped when the key ends with .gz), or null when the key does not exist. */
  async getJsonLines<T>(key: string): Promise<T[] | null> {
    const bytes = await this.getBytes(key);
    if (!bytes) return null;
    const text = (key.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
    return text
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as T);
  }

  /** Reads raw bytes, or null when the key does not exist. */
  async getBytes(key: string): Promise<Buffer | null> {
    try {
      const res = await this.options.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NotFound') return null;
      throw err;
    }
  }

  /** The "folders" directly under a prefix (ListObjectsV2 with Delimiter "/", paginated), e.g. `scenario-runs/<id>/`. */
  async listPrefixes(prefix: string, limit = 100_000): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.options.client.send(
        new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
      );
      for (const p of res.CommonPrefixes ?? []) if (p.Prefix) out.push(p.Prefix);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token && out.length < limit);
    return out;
  }

  /** Every key under a prefix (paginated). */
  async list(prefix: string, limit = 100_000): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.options.client.send(
        new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token && keys.length < limit);
    return keys;
  }
}
