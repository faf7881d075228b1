/**
 * Reads a SageMaker channel: every *.jsonl / *.jsonl.gz / *.json file under the folder (any
 * depth), one window per line. Malformed lines are counted and skipped, never fatal.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FEATURE_NAMES } from '../functions/core/types';
import type { ModelWindow } from '../functions/core/model-contract';

/** A window with its label (holdout channel: 1 = injected anomaly). */
export interface LabelledWindow extends ModelWindow {
  label?: 0 | 1;
}

/** What a channel held. */
export interface ChannelData {
  windows: LabelledWindow[];
  files: number;
  /** Lines that were not a valid window (reported, skipped). */
  skipped: number;
  /** First few reasons lines were skipped. */
  skipReasons: string[];
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.(jsonl|jsonl\.gz|json)$/.test(e.name))
    .map((e) => join(e.parentPath ?? dir, e.name))
    .sort();
}

/** Validates one parsed line as a window; returns a reason when it is not one. */
export function asWindow(x: unknown): LabelledWindow | string {
  if (!x || typeof x !== 'object') return 'not an object';
  const w = x as Record<string, unknown>;
  if (typeof w.partition !== 'string' || !w.partition) return 'missing partition';
  if (typeof w.windowStart !== 'number' || !Number.isFinite(w.windowStart)) return 'missing windowStart';
  const f = w.features as Record<string, unknown> | undefined;
  if (!f || typeof f !== 'object') return 'missing features';
  for (const name of FEATURE_NAMES) {
    if (typeof f[name] !== 'number' || !Number.isFinite(f[name])) return `feature ${name} missing or not a number`;
  }
  const label = w.label === 1 ? 1 : w.label === 0 || w.label === undefined ? 0 : null;
  if (label === null) return 'label must be 0 or 1';
  return { partition: w.partition, windowStart: w.windowStart, features: f as ModelWindow['features'], ...(w.label !== undefined ? { label } : {}) };
}

/**
 * Reads every window of a channel folder.
 * @throws Error when the folder does not exist (the channel was not configured)
 */
export async function readChannel(dir: string): Promise<ChannelData> {
  const files = await listFiles(dir);
  const out: ChannelData = { windows: [], files: files.length, skipped: 0, skipReasons: [] };
  for (const file of files) {
    const raw = await readFile(file);
    const text = file.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    text.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = undefined;
      }
      const w = parsed === undefined ? 'not JSON' : asWindow(parsed);
      if (typeof w === 'string') {
        out.skipped++;
        if (out.skipReasons.length < 5) out.skipReasons.push(`${file}:${i + 1}: ${w}`);
      } else out.windows.push(w);
    });
  }
  return out;
}
