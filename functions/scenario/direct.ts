/**
 * The direct Lambda invoke of the scenario function (no `step` field): the run request itself.
 * Generates and stores the run and, with replay, replays it in real time inside this one
 * invocation when the whole stretch fits in the time it has left; a longer replay is refused
 * before anything is written, pointing at the state machine. No report (that waits for the
 * pipeline; the state machine does it); publishes "Scenario Run Completed" and answers the run
 * manifest and the event's detail.
 */
import { planScenarioRun, ScenarioRunInputError } from '../core/synth/scenario-run';
import { generateScenarioRun, type GenerateDeps } from './generate';
import { publishScenarioRun, type PublishDeps } from './publish';
import { replayMinute, type ReplayDeps } from './replay';
import type { DirectRunResult } from './types';

/** Time kept in hand at the end of an invocation, ms. */
export const DIRECT_MARGIN_MS = 30_000;

/** Dependencies of {@link runScenarioDirect}. */
export type DirectDeps = GenerateDeps & Omit<ReplayDeps, 'stream'> & Partial<Pick<ReplayDeps, 'stream'>> & PublishDeps;

/** The invocation: its start, a unique id (request id), the time left, the payloads' owner. */
export interface DirectContext {
  now: number;
  unique?: string;
  remainingMs: number;
  owner?: string;
  /** Named in the error that sends long replays to the state machine. */
  stateMachine?: string;
}

/**
 * Runs a scenario in this invocation.
 * @throws ScenarioRunInputError on an invalid request, or a replay longer than the time left
 */
export async function runScenarioDirect(request: unknown, deps: DirectDeps, ctx: DirectContext): Promise<DirectRunResult> {
  const plan = planScenarioRun(request, { now: ctx.now, unique: ctx.unique });
  if (plan.options.replay) {
    const needMs = plan.end - ctx.now + DIRECT_MARGIN_MS;
    if (needMs > ctx.remainingMs) {
      throw new ScenarioRunInputError(
        `This run replays in real time until ${new Date(plan.end).toISOString()} (${Math.ceil(needMs / 60_000)} min from now), longer than this invocation can last (${Math.floor(ctx.remainingMs / 60_000)} min left of the Lambda timeout). Start the scenario-run state machine${ctx.stateMachine ? ` ${ctx.stateMachine}` : ''} with the same input (it waits between minutes with Wait states and reports), or set "replay": false to generate and store only.`,
      );
    }
  }
  let run = await generateScenarioRun({ request, now: ctx.now, unique: ctx.unique, owner: ctx.owner }, deps);
  if (run.replay) {
    const replayDeps = { ...deps, stream: deps.stream! };
    // Bounded: one pass per minute of the stretch.
    for (let i = 0; i < run.minutes && !run.cursor.done; i++) {
      const wait = Date.parse(run.cursor.waitUntil) - deps.now();
      if (wait > 0) await deps.sleep(wait);
      run = { ...run, cursor: await replayMinute(run, replayDeps) };
    }
  }
  const summary = await publishScenarioRun(run, null, deps);
  return { run, summary };
}
