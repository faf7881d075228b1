import {
  GetEventSourceMappingCommand,
  GetFunctionConfigurationCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionConfigurationCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import type { ScorerConfigPort, ScorerConfigState } from '../capacity/capacity-run';

/** The function or its event source mapping is being updated (ResourceConflictException / ResourceInUseException). */
export class FunctionBusyError extends Error {
  override readonly name = 'FunctionBusyError';
  constructor(what: string, options?: { cause?: unknown }) {
    super(`${what} is being updated; try again on the next run`, options);
  }
}

/** Options of {@link LambdaScorerConfig}. */
export interface LambdaScorerConfigOptions {
  client: LambdaClient;
  /** Scorer function name or ARN. */
  functionName: string;
  /** UUID of the scorer's Kinesis event source mapping. */
  mappingUuid: string;
}

const BUSY = new Set(['ResourceConflictException', 'ResourceInUseException']);
const UPDATING_MAPPING = new Set(['Creating', 'Enabling', 'Disabling', 'Updating', 'Deleting']);

/**
 * The scorer's sizing knobs: memory (Get/UpdateFunctionConfiguration) and the event source
 * mapping's parallelization factor (Get/UpdateEventSourceMapping). Thin: the policy is in
 * functions/core/scorer-capacity.ts.
 */
export class LambdaScorerConfig implements ScorerConfigPort {
  constructor(private readonly options: LambdaScorerConfigOptions) {}

  /** Current memory and factor, and whether either is mid-update. */
  async read(): Promise<ScorerConfigState> {
    const [fn, esm] = await Promise.all([
      this.options.client.send(new GetFunctionConfigurationCommand({ FunctionName: this.options.functionName })),
      this.options.client.send(new GetEventSourceMappingCommand({ UUID: this.options.mappingUuid })),
    ]);
    return {
      memoryMb: fn.MemorySize ?? 128,
      parallelizationFactor: esm.ParallelizationFactor ?? 1,
      functionUpdating: fn.LastUpdateStatus === 'InProgress' || fn.State === 'Pending',
      mappingUpdating: UPDATING_MAPPING.has(esm.State ?? ''),
    };
  }

  /** @throws FunctionBusyError while another update of the function is in progress */
  async setMemory(memoryMb: number): Promise<void> {
    try {
      await this.options.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: this.options.functionName, MemorySize: memoryMb }));
    } catch (err) {
      if (BUSY.has((err as { name?: string }).name ?? '')) throw new FunctionBusyError(`function ${this.options.functionName}`, { cause: err });
      throw err;
    }
  }

  /** @throws FunctionBusyError while the mapping is being updated */
  async setParallelization(factor: number): Promise<void> {
    try {
      await this.options.client.send(new UpdateEventSourceMappingCommand({ UUID: this.options.mappingUuid, ParallelizationFactor: factor }));
    } catch (err) {
      if (BUSY.has((err as { name?: string }).name ?? '')) throw new FunctionBusyError(`event source mapping ${this.options.mappingUuid}`, { cause: err });
      throw err;
    }
  }
}
