/**
 * The SageMaker container file layout. `HARBINGER_ML_ROOT` moves the root (default /opt/ml) so the
 * same entry points run in a temporary folder locally and in tests.
 */
import { join } from 'node:path';

/** Paths of the SageMaker training and inference contracts under one root. */
export interface MlPaths {
  root: string;
  /** input/config/hyperparameters.json */
  hyperparameters: string;
  /** input/data/<channel> */
  channel: (name: string) => string;
  /** model/ (written by training; SageMaker extracts it here for serving) */
  model: string;
  /** model/model.json */
  modelFile: string;
  /** output/failure: why training failed (SageMaker shows it as FailureReason) */
  failure: string;
}

/** Paths under `root` (default: HARBINGER_ML_ROOT or /opt/ml). */
export function mlPaths(root = process.env.HARBINGER_ML_ROOT ?? '/opt/ml'): MlPaths {
  return {
    root,
    hyperparameters: join(root, 'input', 'config', 'hyperparameters.json'),
    channel: (name) => join(root, 'input', 'data', name),
    model: join(root, 'model'),
    modelFile: join(root, 'model', 'model.json'),
    failure: join(root, 'output', 'failure'),
  };
}
