// Bootstrap for worker threads running TypeScript: registers tsx's loader in this thread, then
// imports the entry named in workerData.entry (a file URL).
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
