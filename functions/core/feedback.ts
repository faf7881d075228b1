/**
 * Alert feedback: a person marks an anomaly a true or a false positive. Pure: the request schema,
 * the label document, and the bounded sensitivity step a false positive causes. The label store
 * (functions/adapters/label-store.ts) and the feedback function (functions/feedback/) apply it.
 *
 * Effects of a label:
 * - false positive: the partition's alert level moves up by one bounded step (fewer alerts at the
 *   same deviation), and the window counts as normal again in the next training set;
 * - true positive: nothing moves; the window stays excluded from training (as every stored anomaly
 *   is until someone says it was not one).
 */
import { z } from 'zod';

/** What a person said about an anomaly. */
export type Verdict = 'true_positive' | 'false_positive';

/** Tunables of {@link sensitivityAfterFalsePositive}. */
export const FEEDBACK_DEFAULTS = {
  /** Each false positive keeps this share of the alert tail 1 - level (0.95 -> 0.965 -> 0.9755 ...). */
  tailFactor: 0.7,
  /** A false positive never moves the level above this; beyond it, set the level on purpose (`harbinger sensitivity`). */
  maxLevel: 0.995,
} as const;

/** A label request, as the CLI, the dashboard and the feedback Lambda accept it. */
export const labelRequestSchema = z
  .object({
    partition: z.string().min(1, 'name the anomaly\'s partition (service#region[#segment])'),
    anomalyId: z.string().regex(/^[0-9a-f]{8,64}$/, 'anomalyId is the hex id of a stored anomaly (the "id" field of the alert)'),
    verdict: z.enum(['true_positive', 'false_positive'], { message: 'verdict must be "true_positive" or "false_positive"' }),
    note: z.string().max(500, 'keep the note under 500 characters').optional(),
    by: z.string().max(100).optional(),
  })
  .strict();

/** A validated label request. */
export type LabelRequest = z.infer<typeof labelRequestSchema>;

/** A request that cannot be applied: says which field to fix. */
export class LabelRequestError extends Error {
  override readonly name = 'LabelRequestError';
}

/**
 * Validates a label request.
 * @throws LabelRequestError naming every field to fix
 */
export function parseLabelRequest(input: unknown): LabelRequest {
  const r = labelRequestSchema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`);
  throw new LabelRequestError(`Invalid label: ${problems.join('; ')}.`);
}

/** The stored label of one anomaly. */
export interface AlertLabel {
  anomalyId: string;
  partition: string;
  windowStart: number;
  /** The anomaly's kind, copied for summaries. */
  kind: string;
  verdict: Verdict;
  /** Epoch ms. */
  labelledAt: number;
  by?: string;
  note?: string;
  /** The partition's alert level before and after this label (equal when nothing moved). */
  sensitivity: { before: number; after: number };
}

/**
 * The alert level after one more false positive: the tail above the level shrinks by
 * {@link FEEDBACK_DEFAULTS}.tailFactor, never beyond maxLevel, and never below the current level
 * (a level already set above the cap by hand stays where it is).
 */
export function sensitivityAfterFalsePositive(level: number, options: Partial<typeof FEEDBACK_DEFAULTS> = {}): number {
  const tailFactor = options.tailFactor ?? FEEDBACK_DEFAULTS.tailFactor;
  const maxLevel = options.maxLevel ?? FEEDBACK_DEFAULTS.maxLevel;
  const next = 1 - (1 - level) * tailFactor;
  // Round to 6 decimals so repeated steps stay readable (0.9755, not 0.97550000000001).
  return Math.max(level, Math.min(maxLevel, Math.round(next * 1e6) / 1e6));
}

/**
 * The level a verdict leads to. Only a NEW false positive moves it: relabelling the same anomaly
 * with the same verdict changes nothing (retries and double clicks are harmless), and a true
 * positive never lowers it.
 * @param previous - the anomaly's earlier verdict, if it was labelled before
 */
export function nextSensitivity(level: number, verdict: Verdict, previous?: Verdict): number {
  if (verdict !== 'false_positive' || previous === 'false_positive') return level;
  return sensitivityAfterFalsePositive(level);
}

/** Labels of one partition summed up. */
export interface LabelSummary {
  truePositives: number;
  falsePositives: number;
  /** falsePositives / labelled, or null when nothing is labelled. */
  falsePositiveShare: number | null;
}

/** Counts verdicts. */
export function summariseLabels(labels: readonly Pick<AlertLabel, 'verdict'>[]): LabelSummary {
  const falsePositives = labels.filter((l) => l.verdict === 'false_positive').length;
  const truePositives = labels.length - falsePositives;
  return { truePositives, falsePositives, falsePositiveShare: labels.length ? falsePositives / labels.length : null };
}

/**
 * Window starts to leave out of training: every stored anomaly's window, except windows whose every
 * anomaly was labelled a false positive (those were normal after all).
 * @param anomalies - stored anomalies (window start and id)
 * @param labels - labels of those anomalies
 */
export function windowsToExclude(
  anomalies: ReadonlyArray<{ windowStart: number; id: string }>,
  labels: ReadonlyArray<Pick<AlertLabel, 'anomalyId' | 'verdict'>>,
): Set<number> {
  const falsePositive = new Set(labels.filter((l) => l.verdict === 'false_positive').map((l) => l.anomalyId));
  const out = new Set<number>();
  for (const a of anomalies) if (!falsePositive.has(a.id)) out.add(a.windowStart);
  return out;
}
