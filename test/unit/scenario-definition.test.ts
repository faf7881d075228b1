/**
 * The scenario-run state machine definition (one definition, both worlds): structure, retries,
 * validation by aws-local-stepfunctions, and its data flow run in-process with stub tasks: the
 * minute loop ends on the cursor, a failed ReplayMinute is retried with the same input, an invalid
 * request is never retried, and without replay nothing waits.
 */
import { describe, expect, it } from 'vitest';
import { SCENARIO_LAMBDA_TIMEOUT_SECONDS, SCENARIO_STATES as S, SCENARIO_SUBSTITUTIONS, scenarioDefinition } from '../../infra/scenario/definition';
import { localScenarioStateMachine } from '../../infra/local/scenario-runner';

type State = Record<string, unknown> & { Type: string };
const def = scenarioDefinition() as { StartAt: string; States: Record<string, State>; TimeoutSeconds: number };
type Json = Parameters<Awaited<ReturnType<typeof localScenarioStateMachine>>['run']>[0];
type Rec = Record<string, any>;

function successors(s: State): string[] {
  const out: string[] = [];
  if (typeof s.Next === 'string') out.push(s.Next);
  if (typeof s.Default === 'string') out.push(s.Default);
  for (const c of (s.Choices as Array<{ Next: string }> | undefined) ?? []) out.push(c.Next);
  for (const c of (s.Catch as Array<{ Next: string }> | undefined) ?? []) out.push(c.Next);
  return out;
}

describe('scenario definition: structure', () => {
  it('every state is reachable, every transition lands on a state, and every task is the one scenario function', () => {
    const seen = new Set([def.StartAt]);
    const queue = [def.StartAt];
    for (let i = 0; i < queue.length; i++) for (const n of successors(def.States[queue[i]])) if (!seen.has(n)) (seen.add(n), queue.push(n));
    expect([...seen].sort()).toEqual(Object.values(S).sort());
    const placeholders = new Set([...JSON.stringify(def).matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]));
    expect([...placeholders]).toEqual([...SCENARIO_SUBSTITUTIONS]);
    for (const [name, st] of Object.entries(def.States).filter(([, st]) => st.Type === 'Task')) {
      expect(st.Resource, name).toBe('${ScenarioFunctionArn}');
      expect((st.Parameters as Rec).step, name).toBeTruthy();
      // An invalid request is never retried; it is the first retrier so nothing broader catches it.
      expect((st.Retry as Rec[])[0], name).toEqual({ ErrorEquals: ['ScenarioRunInputError'], MaxAttempts: 0 });
      // Longer than the Lambda's own timeout: a task is retried only once its invocation has ended.
      expect(st.TimeoutSeconds, name).toBeGreaterThan(SCENARIO_LAMBDA_TIMEOUT_SECONDS);
      expect(st.Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: S.failed }]);
    }
    // Pacing comes from timestamps the steps computed, not from fixed seconds.
    expect(def.States[S.waitForMinute]).toMatchObject({ Type: 'Wait', TimestampPath: '$.run.cursor.waitUntil' });
    expect(def.States[S.waitForScoring]).toMatchObject({ Type: 'Wait', TimestampPath: '$.run.reportAt' });
    expect(def.TimeoutSeconds).toBeGreaterThanOrEqual((12 + 24) * 3600);
  });

  it('aws-local-stepfunctions accepts it (ASL and JSONPath validation)', async () => {
    await expect(localScenarioStateMachine()).resolves.toBeDefined();
  });
});

describe('scenario definition: data flow with stub tasks', () => {
  const run = (minutes: number, replay = true): Rec => ({
    runId: 'r',
    name: 'error-burst',
    replay,
    minutes,
    reportAt: '2026-11-16T15:20:00.000Z',
    cursor: { index: 0, done: !replay, waitUntil: '2026-11-16T15:01:00.000Z', recordsPut: 0, recordsFailed: 0 },
  });

  async function execute(handlers: Record<string, (input: Rec) => Promise<unknown>>, input: Rec = { scenario: 'error-burst' }) {
    const machine = await localScenarioStateMachine();
    const states: string[] = [];
    const execution = machine.run(input as Json, {
      overrides: {
        taskResourceLocalHandlers: Object.fromEntries(Object.entries(handlers).map(([k, h]) => [k, async (i: Json) => JSON.parse(JSON.stringify(await h(i as Rec))) as Json])),
        waitTimeOverrides: { [S.waitForMinute]: 0, [S.waitForScoring]: 0 },
        retryIntervalOverrides: Object.fromEntries([S.generate, S.replayMinute, S.report, S.publish].map((s) => [s, 0])),
      },
      context: { Execution: { Name: 'exec-1' } },
    });
    const watch = (async () => {
      for await (const e of execution.eventLogs) if ('state' in e && e.type === 'StateEntered') states.push(e.state.name);
    })();
    try {
      return { output: (await execution.result) as Rec, states, error: null as Error | null };
    } catch (err) {
      return { output: null, states, error: ((err as { cause?: Error }).cause ?? err) as Error };
    } finally {
      await watch.catch(() => undefined);
    }
  }

  it('loops a minute at a time until the cursor is done, retries a failed minute with the same input, reports and publishes', async () => {
    const replayInputs: Rec[] = [];
    let failOnce = true;
    const r = await execute({
      [S.generate]: async (i) => {
        expect(i).toMatchObject({ step: 'generate', request: { scenario: 'error-burst' }, executionName: 'exec-1', executionStartTime: expect.any(String) });
        return run(3);
      },
      [S.replayMinute]: async (i) => {
        replayInputs.push(i);
        if (i.run.cursor.index === 1 && failOnce) {
          failOnce = false;
          throw Object.assign(new Error('throttled S3'), { name: 'SlowDown' });
        }
        const index = i.run.cursor.index + 1;
        return { ...i.run.cursor, index, done: index >= i.run.minutes, recordsPut: i.run.cursor.recordsPut + 10 };
      },
      [S.report]: async (i) => {
        expect(i.run.cursor).toMatchObject({ done: true, index: 3, recordsPut: 30 });
        return { status: 'reported', recall: 1, precision: 1, anomalies: 2, falseAnomalies: 0, meanDelayMin: 0, incidentsDetected: 1 };
      },
      [S.publish]: async (i) => ({ runId: i.run.runId, status: i.report.status, recall: i.report.recall }),
    });
    expect(r.error).toBeNull();
    expect(r.output).toEqual({ runId: 'r', status: 'reported', recall: 1 });
    expect(replayInputs.map((i) => i.run.cursor.index)).toEqual([0, 1, 1, 2]);
    expect(replayInputs[2]).toEqual(replayInputs[1]);
    // A retry stays in the state: entered once per minute.
    expect(r.states.filter((s) => s === S.replayMinute)).toHaveLength(3);
  });

  it('without replay: Generate, NotReplayed, Publish (with a not-replayed report), no wait', async () => {
    let published: Rec | null = null;
    const r = await execute({
      [S.generate]: async () => run(3, false),
      [S.publish]: async (i) => {
        published = i;
        return { status: 'generated' };
      },
    });
    expect(r.states).toEqual([S.generate, S.shouldReplay, S.notReplayed, S.publish, S.completed]);
    expect(published!.report).toMatchObject({ status: 'not-replayed', recall: null });
    expect(r.output).toEqual({ status: 'generated' });
  });

  it('an invalid request fails at once with its own error name; a persistent step failure ends in the Fail state after its retries', async () => {
    let calls = 0;
    const invalid = await execute({
      [S.generate]: async () => {
        calls++;
        throw Object.assign(new Error('partitions: give at least one'), { name: 'ScenarioRunInputError' });
      },
    });
    expect(calls).toBe(1);
    expect(invalid.error?.name).toBe('ScenarioRunInputError');
    expect(invalid.error?.message).toBe('partitions: give at least one');
    expect(invalid.states).toEqual([S.generate, S.failed]);

    let attempts = 0;
    const broken = await execute({
      [S.generate]: async () => run(2),
      [S.replayMinute]: async () => {
        attempts++;
        throw new Error('stream gone');
      },
    });
    expect(attempts).toBe(3);
    expect(broken.states.at(-1)).toBe(S.failed);
    expect(broken.error?.message).toBe('stream gone');
  });
});
