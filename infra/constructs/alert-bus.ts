import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EVENTS } from '../../functions/core/resources';

/** Properties of {@link AlertBus}. */
export interface AlertBusProps {
  /** Event bus name, normally `resourceNames(prefix).eventBus`. */
  readonly eventBusName: string;
  /**
   * How long the archive keeps Harbinger events (replayable).
   * @default 90 days
   */
  readonly archiveRetention?: Duration;
  /**
   * Retention of the log group that mirrors every Harbinger event.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The alert bus: a custom EventBridge bus, an archive of everything with source `harbinger`, and a
 * rule copying those events to a CloudWatch Logs log group so alerts are visible without a consumer.
 *
 * The log group target is wired with a native `AWS::Logs::ResourcePolicy` (scoped to this bus's rules)
 * instead of `aws-events-targets.CloudWatchLogGroup`, which would add a custom-resource Lambda only to
 * write that same policy.
 */
export class AlertBus extends Construct {
  /** The event bus that the handlers put alerts on. */
  public readonly bus: events.EventBus;
  /** The log group that receives a copy of every Harbinger event. */
  public readonly alertLogGroup: logs.LogGroup;
  /** The rule matching source `harbinger`. */
  public readonly alertRule: events.Rule;

  constructor(scope: Construct, id: string, props: AlertBusProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const pattern: events.EventPattern = { source: [EVENTS.source] };

    this.bus = new events.EventBus(this, 'Bus', { eventBusName: props.eventBusName });
    this.bus.archive('Archive', {
      description: `Every ${EVENTS.source} event on ${props.eventBusName}, replayable`,
      eventPattern: pattern,
      retention: props.archiveRetention ?? Duration.days(90),
    });

    this.alertLogGroup = new logs.LogGroup(this, 'AlertLog', {
      logGroupName: `/aws/events/${props.eventBusName}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // EventBridge targets take the log group ARN without the trailing ':*'.
    const logGroupTargetArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      resourceName: this.alertLogGroup.logGroupName,
    });

    this.alertRule = new events.Rule(this, 'AlertsToLogs', {
      eventBus: this.bus,
      description: `Copies ${EVENTS.source} events to a CloudWatch Logs log group`,
      eventPattern: pattern,
      targets: [{ bind: () => ({ arn: logGroupTargetArn }) }],
    });

    // Scoped to the rules of this bus by ARN pattern (not the rule's own ARN), so the rule can depend on
    // the policy without a cycle and the first alert is never dropped.
    const rulesOfThisBus = stack.formatArn({ service: 'events', resource: 'rule', resourceName: `${props.eventBusName}/*` });
    const policy = new logs.ResourcePolicy(this, 'AlertLogPolicy', {
      resourcePolicyName: `${props.eventBusName}-alerts-to-logs`,
      policyStatements: [
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('events.amazonaws.com'), new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.alertLogGroup.logGroupArn],
          conditions: { ArnLike: { 'aws:SourceArn': rulesOfThisBus } },
        }),
      ],
    });
    this.alertRule.node.addDependency(policy);
  }
}
