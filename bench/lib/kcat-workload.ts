/**
 * kcat as the load generator: produce a file of records, then consume them all back. Rates are
 * records per second of kcat's whole run (connect, metadata, transfer, flush or end-of-partition).
 */
import { assertSucceeded, kcat } from '../../test/helpers/kcat.ts';

/** A run of a million records takes seconds; this only stops a wedged broker from hanging the bench. */
const RUN_TIMEOUT_MS = 600_000;

export interface KcatRun {
  recordsPerSec: number;
  durationMs: number;
}

/**
 * `kcat -P -l file` with linger.ms=5. Sticky partitioning is off so records spread evenly over
 * the topic's partitions (the mock cluster drops the oldest data of a partition past ~5 MB).
 */
export async function kcatProduce(bootstrap: string, topic: string, inputPath: string, count: number): Promise<KcatRun> {
  const result = assertSucceeded(
    await kcat(['-b', bootstrap, '-P', '-t', topic, '-X', 'linger.ms=5', '-X', 'sticky.partitioning.linger.ms=0', '-l', inputPath], {
      timeoutMs: RUN_TIMEOUT_MS,
      captureStdout: false,
    }),
    'kcat produce',
  );
  return { recordsPerSec: count / (result.durationMs / 1000), durationMs: result.durationMs };
}

/** `kcat -C -e` from the beginning of every partition; checks that exactly `count` records came back. */
export async function kcatConsume(bootstrap: string, topic: string, count: number): Promise<KcatRun> {
  const result = assertSucceeded(
    await kcat(['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%o\\n'], { timeoutMs: RUN_TIMEOUT_MS, captureStdout: false }),
    'kcat consume',
  );
  if (result.stdoutLines !== count) throw new Error(`kcat consumed ${result.stdoutLines} records from ${topic}, expected ${count}\n${result.stderr.slice(-2000)}`);
  return { recordsPerSec: count / (result.durationMs / 1000), durationMs: result.durationMs };
}
