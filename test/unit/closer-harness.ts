/**
 * In-memory test doubles of the window closer's stores (unit tests only), shared by the closer tests.
 */
import { partialToAttributes } from '../../functions/core/features';
import { mulberry32 } from '../../functions/core/random';
import type { OpenWindowRef } from '../../functions/adapters/window-store';
import type { DetectorState } from '../../functions/adapters/detector-state-store';
import { MINUTE, genMinute, type Incident } from './core-fixtures';

/** Window items in memory, as the window store keeps them (closable, closed once). */
export class MemWindows {
  readonly items = new Map<string, Record<string, unknown>>();
  private key = (p: string, ws: number): string => `${p}|${ws}`;
  add(partition: string, start: number, minutes: number, incident: (m: number) => Incident, seed: number): void {
    const rng = mulberry32(seed);
    for (let m = 0; m < minutes; m++) {
      const t = start + m * MINUTE;
      const { adds, firsts } = partialToAttributes(genMinute(rng, t, { partition }, incident(m)));
      this.items.set(this.key(partition, t), { ...adds, ...firsts, openShard: 'OPEN#0', partition, windowStart: t });
    }
  }
  async listClosable(cutoff: number): Promise<OpenWindowRef[]> {
    const out: OpenWindowRef[] = [];
    for (const i of this.items.values()) if (i.openShard !== undefined && Number(i.windowStart) <= cutoff) out.push({ partition: String(i.partition), windowStart: Number(i.windowStart) });
    return out.sort((a, b) => a.windowStart - b.windowStart);
  }
  async close(ref: OpenWindowRef, now: number): Promise<Record<string, unknown> | null> {
    const item = this.items.get(this.key(ref.partition, ref.windowStart));
    if (!item || item.openShard === undefined) return null;
    delete item.openShard;
    item.closedAt = now;
    return { ...item };
  }
  async read(partition: string, windowStart: number): Promise<Record<string, unknown>> {
    return { ...(this.items.get(this.key(partition, windowStart)) ?? {}) };
  }
}

/** Detector states in memory, with the adapter's only-forward rule. */
export class MemStates {
  readonly map = new Map<string, DetectorState>();
  /** Throws on the next put (a crash after publishing, before the state is saved). */
  failNext = false;
  /** Puts attempted (stored or refused). */
  puts = 0;
  async get(partition: string): Promise<DetectorState> {
    const s = this.map.get(partition);
    return s ? structuredClone(s) : { partition, lastWindowStart: 0, rolling: {}, recent: [], incidents: {} };
  }
  async put(state: DetectorState): Promise<boolean> {
    this.puts++;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('DynamoDB unavailable');
    }
    const prev = this.map.get(state.partition);
    if (prev && prev.lastWindowStart >= state.lastWindowStart) return false;
    // what the adapter stores: JSON
    this.map.set(state.partition, JSON.parse(JSON.stringify(state)) as DetectorState);
    return true;
  }
}

/** JSON documents in memory (anomalies, window features). */
export class MemObjects {
  readonly docs = new Map<string, unknown>();
  async putJson(key: string, value: unknown): Promise<void> {
    this.docs.set(key, value);
  }
}

