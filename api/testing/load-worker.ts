/**
 * Runs `runLoad` in a child process (options as JSON in argv[2], the result as JSON on stdout),
 * so the load generator does not share the server's event loop. Not a worker thread: autocannon
 * treats a worker thread as one of its own workers and reports to the parent instead.
 */
import { runLoad, type LoadOptions } from './load.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
process.stdout.write(`${JSON.stringify(await runLoad(options))}\n`);
