/** Runs `runLoad` in a worker thread, so the load generator does not share the server's event loop. */
import { parentPort, workerData } from 'node:worker_threads';
import { runLoad, type LoadOptions } from './load.ts';

const result = await runLoad(workerData as LoadOptions);
parentPort?.postMessage(result);
