/**
 * The two brokers a benchmark compares: the embedded broker as a child process with its own
 * data directory (records persisted as in normal use), and librdkafka's in-memory mock cluster.
 */
import { BrokerProcess } from '../../test/helpers/broker-process.ts';
import { startMockCluster } from '../../test/helpers/kcat.ts';
import { tempDir } from '../../test/helpers/wait.ts';

export interface BenchBroker {
  readonly name: string;
  readonly bootstrap: string;
  stop(): Promise<void>;
}

/** Starts the embedded broker (ops/embedded/kafka/main.ts) with `partitions` for auto-created topics. */
export async function startEmbedded(partitions: number): Promise<BenchBroker> {
  const dir = tempDir('bench-broker');
  const broker = new BrokerProcess({
    dataDir: dir.path,
    extraArgs: ['--default-partitions', String(partitions), '--log-level', 'warn'],
  });
  try {
    await broker.start();
  } catch (err) {
    dir.remove();
    throw err;
  }
  return {
    name: 'embedded',
    bootstrap: broker.bootstrap,
    async stop() {
      await broker.stop();
      dir.remove();
    },
  };
}

/**
 * Starts the mock cluster with `topics` ("name:partitions") created up front. The mock keeps
 * only about 5 MB per partition in memory, so workloads spread records over enough partitions
 * that nothing is dropped before it is consumed.
 */
export async function startMock(topics: string[]): Promise<BenchBroker> {
  const mock = await startMockCluster({ topics });
  return { name: 'librdkafka mock cluster', bootstrap: mock.bootstrap, stop: () => mock.close() };
}
