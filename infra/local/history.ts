/**
 * Learns the demo's synthetic history on every core: the services are split over worker threads,
 * each running the same {@link learnHistory} over its share.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { LearnedPartition } from '../../functions/core/offline';
import { DEFAULT_SERVICES } from '../../functions/core/synth/services';

/** What one worker learns. */
export interface HistoryJob {
  services: string[];
  start: number;
  end: number;
  seed: number;
  scale: number;
}

/** Messages from a worker. */
export type HistoryMessage =
  | { type: 'progress'; pass: number; at: number; events: number }
  | { type: 'done'; learned: LearnedPartition[] };

/** Progress across all workers. */
export interface HistoryProgress {
  /** Simulated time every worker's window pass has reached (epoch ms); `start` until then. */
  at: number;
  /** Events read so far, both passes, all workers. */
  events: number;
  /** True while any worker is still learning templates (pass 1). */
  learningTemplates: boolean;
}

/** Options of {@link learnHistoryInParallel}. */
export interface ParallelHistoryOptions extends Omit<HistoryJob, 'services'> {
  /** Worker threads. Default: the machine's parallelism, at most the number of services. */
  workers?: number;
  onProgress?: (p: HistoryProgress) => void;
}

/**
 * Learns templates, window features and ordered patterns for the default synthetic services over
 * [start, end), in worker threads. Results are identical to one in-process run per service group.
 * @throws Error naming the worker when one fails
 */
export async function learnHistoryInParallel(options: ParallelHistoryOptions): Promise<Map<string, LearnedPartition>> {
  const names = DEFAULT_SERVICES.map((s) => s.name);
  const n = Math.max(1, Math.min(options.workers ?? availableParallelism(), names.length));
  const groups = Array.from({ length: n }, (_, i) => names.filter((_, j) => j % n === i));
  const state = groups.map(() => ({ pass: 0, at: options.start, events: 0, eventsBefore: 0 }));
  const report = (): void => {
    options.onProgress?.({
      at: Math.min(...state.map((s) => (s.pass >= 2 ? s.at : options.start))),
      events: state.reduce((sum, s) => sum + s.eventsBefore + s.events, 0),
      learningTemplates: state.some((s) => s.pass < 2),
    });
  };
  const results = await Promise.all(
    groups.map(
      (services, i) =>
        new Promise<LearnedPartition[]>((resolve, reject) => {
          let settled = false;
          const job: HistoryJob = { services, start: options.start, end: options.end, seed: options.seed, scale: options.scale };
          // A tiny .mjs bootstrap registers tsx in the thread, then loads the TypeScript worker.
          const worker = new Worker(new URL('./ts-worker.mjs', import.meta.url), {
            workerData: { ...job, entry: new URL('./history-worker.ts', import.meta.url).href },
          });
          worker.on('message', (m: HistoryMessage) => {
            if (m.type === 'progress') {
              const s = state[i];
              if (m.pass !== s.pass) {
                s.eventsBefore += s.events;
                s.pass = m.pass;
              }
              s.at = m.at;
              s.events = m.events;
              report();
            } else {
              settled = true;
              resolve(m.learned);
              void worker.terminate();
            }
          });
          worker.on('error', (err) => {
            settled = true;
            reject(new Error(`history worker for ${services.join(', ')} failed: ${err.message}`));
          });
          worker.on('exit', (code) => {
            if (!settled) reject(new Error(`history worker for ${services.join(', ')} exited with code ${code} before it finished`));
          });
        }),
    ),
  );
  const out = new Map<string, LearnedPartition>();
  for (const list of results) for (const l of list) out.set(l.partition, l);
  return new Map([...out.entries()].sort((a, b) => a[0].localeCompare(b[0])));
}
