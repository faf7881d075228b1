/**
 * TensorFlow.js backend selection: the WebAssembly backend (ships its .wasm inside the npm
 * package, no download) with the pure-JS CPU backend as fallback.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

let ready: Promise<string> | undefined;

/** Initialises the fastest available backend once; resolves to its name ('wasm' or 'cpu'). */
export function initBackend(): Promise<string> {
  ready ??= (async () => {
    try {
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return tf.getBackend();
      }
    } catch {
      // fall through to the CPU backend
    }
    await tf.setBackend('cpu');
    await tf.ready();
    return tf.getBackend();
  })();
  return ready;
}
