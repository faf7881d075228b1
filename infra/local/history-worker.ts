/**
 * Worker thread of {@link learnHistoryInParallel}: learns the history of a subset of the synthetic
 * services (the generator draws every partition-minute from its own random stream, so a subset
 * yields exactly the same events as the full run).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { learnHistory } from '../../functions/core/offline';
import { DEFAULT_PARTITION_RULES } from '../../functions/core/partition';
import { generateEvents } from '../../functions/core/synth/generator';
import { DEFAULT_SERVICES } from '../../functions/core/synth/services';
import type { HistoryJob, HistoryMessage } from './history';

const job = workerData as HistoryJob;
const post = (m: HistoryMessage): void => parentPort!.postMessage(m);
const services = DEFAULT_SERVICES.filter((s) => job.services.includes(s.name));
let pass = 0;
const learned = learnHistory(
  function* () {
    pass++;
    let n = 0;
    for (const e of generateEvents({ services, start: job.start, end: job.end, seed: job.seed, scale: job.scale })) {
      if (++n % 20_000 === 0) post({ type: 'progress', pass, at: e.timestamp, events: n });
      yield e;
    }
    post({ type: 'progress', pass, at: job.end, events: n });
  },
  { rules: DEFAULT_PARTITION_RULES, defaultRegion: 'us-east-1' },
);
post({ type: 'done', learned: [...learned.values()] });
