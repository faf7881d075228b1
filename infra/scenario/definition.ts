/**
 * The scenario-run state machine, written once (Amazon States Language) and used by both worlds:
 * the CDK construct (infra/constructs/scenario-runner.ts) deploys it with `DefinitionBody.fromString`
 * and `definitionSubstitutions` for {@link SCENARIO_SUBSTITUTIONS}; the embedded runtime
 * (infra/local/scenario-runner.ts) fills the same placeholder and runs it with
 * aws-local-stepfunctions (Wait states overridden, a simulated clock).
 *
 * Flow: Generate -> ShouldReplay? -> [WaitForMinute -> ReplayMinute -> MoreMinutes?]* (one pass per
 * minute; each minute starts when its events happen) -> WaitForScoring (the stretch's end + allowed
 * lateness + a closer tick) -> Report -> Publish -> Completed. Without replay: Generate ->
 * NotReplayed -> Publish -> Completed (the event says the run was generated and stored only).
 *
 * Every task invokes the ONE scenario Lambda (functions/scenario/handler.ts) with a `step` field;
 * its return value is the task's result. State document: `{ run: ScenarioRun, report?:
 * ReportSummary }`, then `{ summary }` (functions/scenario/types.ts); execution output = the
 * "Scenario Run Completed" detail.
 */

/** `${Name}` placeholders in the definition; CDK `definitionSubstitutions` must provide every one. */
export const SCENARIO_SUBSTITUTIONS = ['ScenarioFunctionArn'] as const;

/** One substitution name. */
export type ScenarioSubstitution = (typeof SCENARIO_SUBSTITUTIONS)[number];

/** State names. */
export const SCENARIO_STATES = {
  generate: 'Generate',
  shouldReplay: 'ShouldReplay',
  notReplayed: 'NotReplayed',
  waitForMinute: 'WaitForMinute',
  replayMinute: 'ReplayMinute',
  moreMinutes: 'MoreMinutes',
  waitForScoring: 'WaitForScoring',
  report: 'Report',
  publish: 'Publish',
  completed: 'Completed',
  failed: 'ScenarioRunFailed',
} as const;

/** The scenario Lambda's timeout, seconds (Lambda's maximum: a direct invoke may replay a short run in real time). */
export const SCENARIO_LAMBDA_TIMEOUT_SECONDS = 900;

/**
 * Every task's timeout, seconds: longer than the Lambda's own, so a task is only ever retried once
 * its invocation has ended (a timed-out task whose invocation still ran could put a minute's
 * unsettled requests twice). A minute's replay normally takes about a minute.
 */
export const SCENARIO_TASK_TIMEOUT_SECONDS = SCENARIO_LAMBDA_TIMEOUT_SECONDS + 60;

/** Whole execution bound: 12 h of replay (the longest allowed), a day's delay before it starts, and the report. */
export const SCENARIO_EXECUTION_TIMEOUT_SECONDS = 40 * 3600;

const S = SCENARIO_STATES;
const sub = (name: ScenarioSubstitution): string => `\${${name}}`;

/** Lambda service errors worth retrying (as the CDK's LambdaInvoke defaults). */
const LAMBDA_SERVICE_ERRORS = ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

/**
 * Retries: never an invalid request; Lambda service errors; and, for the idempotent steps, any
 * other failure twice (a retried ReplayMinute skips the requests its markers say are settled).
 */
function retry(idempotent: boolean): Array<Record<string, unknown>> {
  return [
    { ErrorEquals: ['ScenarioRunInputError'], MaxAttempts: 0 },
    { ErrorEquals: LAMBDA_SERVICE_ERRORS, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 },
    ...(idempotent ? [{ ErrorEquals: ['States.TaskFailed', 'States.Timeout'], IntervalSeconds: 5, MaxAttempts: 2, BackoffRate: 2 }] : []),
  ];
}

/** A task on the scenario Lambda. */
function task(comment: string, parameters: Record<string, unknown>, timeoutSeconds: number, next: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Type: 'Task',
    Comment: comment,
    Resource: sub('ScenarioFunctionArn'),
    Parameters: parameters,
    TimeoutSeconds: timeoutSeconds,
    Retry: retry(true),
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: S.failed }],
    Next: next,
    ...extra,
  };
}

/**
 * The scenario-run state machine as an ASL object, with the `${ScenarioFunctionArn}` placeholder.
 * Input: the run request (see functions/core/synth/scenario-run.ts), e.g.
 * `{"scenario": "error-burst", "partitions": ["checkout#us-east-1"], "replay": true}`.
 */
export function scenarioDefinition(): Record<string, unknown> {
  return {
    Comment: 'Harbinger: a synthetic scenario run (generate -> replay into Kinesis in real time -> wait for scoring -> report against ground truth -> Scenario Run Completed)',
    StartAt: S.generate,
    TimeoutSeconds: SCENARIO_EXECUTION_TIMEOUT_SECONDS,
    States: {
      [S.generate]: task(
        'Validate the request, generate the events, store spec.json, labels.json, events.jsonl.gz and (replay) one chunk of subscription payloads per minute',
        { step: 'generate', 'request.$': '$', 'executionName.$': '$$.Execution.Name', 'executionStartTime.$': '$$.Execution.StartTime' },
        SCENARIO_TASK_TIMEOUT_SECONDS,
        S.shouldReplay,
        // No ResultPath: the default ("$") replaces the input, and ResultSelector names it.
        // (An explicit "$" means the same on AWS, but aws-local-stepfunctions mishandles it.)
        { ResultSelector: { 'run.$': '$' } },
      ),
      [S.shouldReplay]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.run.replay', BooleanEquals: true, Next: S.waitForMinute }],
        Default: S.notReplayed,
      },
      [S.notReplayed]: {
        Type: 'Pass',
        Comment: 'Replay was off: generated and stored only, nothing to report',
        Result: { status: 'not-replayed', recall: null, precision: null, anomalies: null, falseAnomalies: null, meanDelayMin: null, incidentsDetected: null },
        ResultPath: '$.report',
        Next: S.publish,
      },
      [S.waitForMinute]: {
        Type: 'Wait',
        Comment: "Until the next minute's events happen (no wait when the replay runs late)",
        TimestampPath: '$.run.cursor.waitUntil',
        Next: S.replayMinute,
      },
      [S.replayMinute]: task(
        "PutRecords of this minute's payloads, paced within the shards' limits; retried entries counted; settled requests marked in S3 (a retry skips them)",
        { step: 'replayMinute', 'run.$': '$.run' },
        SCENARIO_TASK_TIMEOUT_SECONDS,
        S.moreMinutes,
        { ResultPath: '$.run.cursor' },
      ),
      [S.moreMinutes]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.run.cursor.done', BooleanEquals: true, Next: S.waitForScoring }],
        Default: S.waitForMinute,
      },
      [S.waitForScoring]: {
        Type: 'Wait',
        Comment: "Until the window closer has scored the stretch's last window: its end + allowed lateness + a closer tick + slack",
        TimestampPath: '$.run.reportAt',
        Next: S.report,
      },
      [S.report]: task(
        "Read the pipeline's anomalies for the run's partitions and stretch; scenarioReport against labels.json; write report.json and labelled-anomalies.json",
        { step: 'report', 'run.$': '$.run' },
        SCENARIO_TASK_TIMEOUT_SECONDS,
        S.publish,
        { ResultPath: '$.report' },
      ),
      [S.publish]: task(
        '"Scenario Run Completed" on the bus: run id, status, recall, precision, S3 prefix',
        { step: 'publish', 'run.$': '$.run', 'report.$': '$.report' },
        SCENARIO_TASK_TIMEOUT_SECONDS,
        S.completed,
        { ResultSelector: { 'summary.$': '$' } },
      ),
      [S.completed]: { Type: 'Succeed', OutputPath: '$.summary' },
      [S.failed]: {
        Type: 'Fail',
        Comment: 'A step failed: its error name (e.g. ScenarioRunInputError) and message pass through',
        ErrorPath: '$.error.Error',
        CausePath: '$.error.Cause',
      },
    },
  };
}

/** The definition as a JSON string, for `DefinitionBody.fromString` (placeholder left in place). */
export function scenarioDefinitionString(): string {
  return JSON.stringify(scenarioDefinition(), null, 2);
}
