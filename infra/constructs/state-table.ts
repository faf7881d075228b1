import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../../functions/core/resources';

/** Properties of {@link StateTable}. */
export interface StateTableProps {
  /** Table name, normally `resourceNames(prefix).table`. */
  readonly tableName: string;
  /**
   * Refuse DeleteTable while this is on.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the table when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The single state table (profiles with their CURRENT pointer, open and closed windows, detector state).
 *
 * Keys, the sparse open-windows index and the TTL attribute all come from `TABLE_SCHEMA`, the same
 * definition the embedded runtime provisions locally. On-demand billing, point-in-time recovery.
 * The index projects ALL attributes, so the window closer reads an open window's partial aggregates
 * from the index query alone (the index is sparse: only open windows carry `openShard`).
 */
export class StateTable extends Construct {
  /** The DynamoDB table. */
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StateTableProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE_SCHEMA.openIndex.name,
      partitionKey: { name: TABLE_SCHEMA.openIndex.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.openIndex.sortKey, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
}
