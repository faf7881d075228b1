/**
 * In-memory ports for capacity-run tests: a stream that enforces the UpdateShardCount rules AWS
 * enforces (and records every call), a scorer configuration, a window history, a state store with
 * conditional saves, shadow logs and events. No AWS, no emulator.
 */
import type {
  CapacityPorts,
  CapacityState,
  CapacityWindow,
  ScorerConfigState,
  StreamState,
} from '../../functions/capacity/capacity-run';
import type { ShadowLog } from '../../functions/core/shadow-log';

const MINUTE = 60_000;

/** A recorded capacity API call. */
export interface FakeCall {
  api: 'UpdateShardCount' | 'UpdateFunctionConfiguration' | 'UpdateEventSourceMapping';
  at: number;
  from: number;
  to: number;
}

/** A rule of UpdateShardCount that a call broke (the fake refuses such calls and lists them). */
export interface RuleBreak {
  at: number;
  rule: string;
}

/** Options of {@link fakePorts}. */
export interface FakeOptions {
  shards?: number;
  status?: StreamState['status'];
  scorer?: Partial<ScorerConfigState> | null;
  windows?: CapacityWindow[];
  /** Clock of the fake (for the 24 h call window); the test moves it. */
  clock?: { now: number };
}

/** In-memory ports and what they saw. */
export interface Fakes {
  ports: CapacityPorts;
  stream: { status: StreamState['status']; openShards: number; mode: string };
  scorer: ScorerConfigState | null;
  windows: CapacityWindow[];
  state: { current: CapacityState | null; saves: number; failNextSave: boolean };
  calls: FakeCall[];
  breaks: RuleBreak[];
  shadows: Array<{ key: string; log: ShadowLog }>;
  events: Array<{ detailType: string; detail: unknown }>;
  clock: { now: number };
}

/** Builds the fakes. UpdateShardCount enforces: UNIFORM_SCALING bounds (x2, /2) and 10 calls per rolling 24 h. */
export function fakePorts(options: FakeOptions = {}): Fakes {
  const clock = options.clock ?? { now: 0 };
  const f: Fakes = {
    stream: { status: options.status ?? 'ACTIVE', openShards: options.shards ?? 2, mode: 'PROVISIONED' },
    scorer:
      options.scorer === null
        ? null
        : { memoryMb: 1024, parallelizationFactor: 1, functionUpdating: false, mappingUpdating: false, ...(options.scorer ?? {}) },
    windows: options.windows ?? [],
    state: { current: null, saves: 0, failNextSave: false },
    calls: [],
    breaks: [],
    shadows: [],
    events: [],
    clock,
    ports: undefined as unknown as CapacityPorts,
  };
  f.ports = {
    stream: {
      describe: async () => ({ ...f.stream }),
      updateShardCount: async (target: number) => {
        if (f.stream.status !== 'ACTIVE') {
          const e = new Error('stream busy');
          e.name = 'StreamBusyError';
          throw e;
        }
        const cur = f.stream.openShards;
        const recent = f.calls.filter((c) => c.api === 'UpdateShardCount' && c.at > clock.now - 86_400_000);
        if (target > cur * 2) f.breaks.push({ at: clock.now, rule: `more than double: ${cur} -> ${target}` });
        if (target < Math.ceil(cur / 2)) f.breaks.push({ at: clock.now, rule: `less than half: ${cur} -> ${target}` });
        if (recent.length >= 10) f.breaks.push({ at: clock.now, rule: `11th call in 24 h` });
        if (target === cur) f.breaks.push({ at: clock.now, rule: `no-op call ${cur} -> ${target}` });
        f.calls.push({ api: 'UpdateShardCount', at: clock.now, from: cur, to: target });
        f.stream.openShards = target;
      },
    },
    scorer: f.scorer
      ? {
          read: async () => ({ ...(f.scorer as ScorerConfigState) }),
          setMemory: async (mb: number) => {
            f.calls.push({ api: 'UpdateFunctionConfiguration', at: clock.now, from: f.scorer!.memoryMb, to: mb });
            f.scorer!.memoryMb = mb;
          },
          setParallelization: async (n: number) => {
            f.calls.push({ api: 'UpdateEventSourceMapping', at: clock.now, from: f.scorer!.parallelizationFactor, to: n });
            f.scorer!.parallelizationFactor = n;
          },
        }
      : null,
    volume: { windows: async (from: number, to: number) => f.windows.filter((w) => w.windowStart >= from && w.windowStart < to) },
    state: {
      load: async () => (f.state.current ? structuredClone(f.state.current) : null),
      save: async (s: CapacityState, expected: number | null) => {
        if (f.state.failNextSave) {
          f.state.failNextSave = false;
          return false;
        }
        const cur = f.state.current?.revision ?? null;
        if (cur !== expected) return false;
        f.state.current = structuredClone(s);
        f.state.saves++;
        return true;
      },
    },
    shadow: { put: async (key: string, log: ShadowLog) => void f.shadows.push({ key, log }) },
    events: { publish: async (detailType: string, detail: object) => void f.events.push({ detailType, detail }) },
  };
  return f;
}

/** One window per minute in [from, to) for a partition, with a count from `rate(t)` events/min. */
export function minuteWindows(
  partition: string,
  from: number,
  to: number,
  rate: (t: number) => number,
  mix: { bytesPerEvent?: number; levels?: Record<string, number>; templates?: Record<string, number> } = {},
): CapacityWindow[] {
  const out: CapacityWindow[] = [];
  const levelShares = mix.levels ?? { OTHER: 1 };
  const templateShares = mix.templates ?? { t1: 1 };
  for (let t = from; t < to; t += MINUTE) {
    const count = Math.max(0, Math.round(rate(t)));
    const split = (shares: Record<string, number>): Record<string, number> => {
      const r: Record<string, number> = {};
      for (const [k, s] of Object.entries(shares)) if (count * s > 0) r[k] = count * s;
      return r;
    };
    out.push({ partition, windowStart: t, count, bytes: count * (mix.bytesPerEvent ?? 200), levels: split(levelShares), templates: split(templateShares) });
  }
  return out;
}
