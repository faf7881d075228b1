/**
 * Child process of the scorer bench: one 10,000-record batch through the scorer handler, reporting
 * the process's peak RSS (maxRSS) against its baseline after imports and record generation.
 * Reads the emulator endpoints and table names from the environment the parent passes.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { createScorerHandler } from '../functions/scorer/handler';
import { benchRecords } from './scorer';

const records = benchRecords(10_000, 1234);
global.gc?.();
const baseline = process.resourceUsage().maxRSS / 1024;
const scorer = createScorerHandler({ logger: new Logger({ serviceName: 'bench', logLevel: 'ERROR' }) });
const ctx = { functionName: 'bench', awsRequestId: 'rss', getRemainingTimeInMillis: () => 900_000 } as unknown as Context;
await scorer({ Records: records } as KinesisStreamEvent, ctx);
const peak = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ baseline: Math.round(baseline), peak: Math.round(peak) }));
