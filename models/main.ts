/**
 * The model container's entry point. SageMaker runs `<image> train` for training jobs and
 * `<image> serve` for endpoints; locally: `node --import tsx models/main.ts train|serve` with
 * HARBINGER_ML_ROOT pointing at an /opt/ml-like folder.
 */
import { mlPaths } from './paths';
import { runTraining, writeFailure } from './train';
import { startModelServer } from './serve';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE = 'usage: main.ts train | serve   (HARBINGER_ML_ROOT: contract root, default /opt/ml; SAGEMAKER_BIND_TO_PORT: serve port, default 8080)';

async function main(command: string | undefined): Promise<void> {
  if (command === 'train') {
    const paths = mlPaths();
    try {
      await runTraining({ paths });
    } catch (e) {
      await writeFailure(paths, e);
      console.error(`training failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    }
    return;
  }
  if (command === 'serve') {
    const server = await startModelServer();
    console.log(`model ${server.modelVersion} listening on ${server.url}`);
    const stop = (): void => {
      void server.close().then(() => process.exit(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    return;
  }
  console.error(USAGE);
  process.exitCode = 2;
}

void main(process.argv[2]);
