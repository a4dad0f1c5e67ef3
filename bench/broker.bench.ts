/**
 * Broker throughput: the embedded broker (child process, data on disk) against librdkafka's
 * in-memory mock cluster, with the same client workload in the same session.
 *
 *   broker-kcat-produce    kcat -P of 1,000,000 100-byte records (linger.ms=5)
 *   broker-kcat-consume    kcat -C -e of those records
 *   broker-kafkajs-produce kafkajs plain producer, 200,000 records in sends of 1,000
 *   broker-kafkajs-consume kafkajs group consumer reading them back
 *
 * Every figure is the median of RUNS runs; each run uses fresh topics. Topics have 32
 * partitions on both brokers because the mock keeps only ~5 MB per partition.
 */
import { tempDir } from '../test/helpers/wait.ts';
import { startEmbedded, startMock, type BenchBroker } from './lib/brokers.ts';
import { kcatConsume, kcatProduce } from './lib/kcat-workload.ts';
import { kafkajsConsume, kafkajsProduce } from './lib/kafkajs-workload.ts';
import { writeRecordFile } from './lib/records.ts';
import { recordFigure } from './lib/result.ts';

/** Five runs: the machine is shared, and a median of five shrugs off one disturbed run. */
const RUNS = 5;
const PARTITIONS = 32;
const VALUE_BYTES = 100;
const KCAT_RECORDS = 1_000_000;
const KAFKAJS_RECORDS = 200_000;
const KAFKAJS_BATCH = 1_000;
/** The embedded broker should reach at least half the mock's rate (the mock does no I/O at all). */
const RATIO_TARGET = 0.5;

type Row = { value: number; baseline: number } & Record<string, number | string>;

async function main(): Promise<void> {
  const input = tempDir('bench-input');
  const embedded = await startEmbedded(PARTITIONS);
  const topics = (prefix: string): string[] => Array.from({ length: RUNS }, (_, i) => `bench-${prefix}-${i}`);
  const mock = await startMock([...topics('kcat'), ...topics('kafkajs')].map((t) => `${t}:${PARTITIONS}`));
  const rows = { kcatProduce: [] as Row[], kcatConsume: [] as Row[], kjsProduce: [] as Row[], kjsConsume: [] as Row[] };
  try {
    const inputPath = writeRecordFile(input.path, 'records.txt', KCAT_RECORDS, VALUE_BYTES);
    for (let run = 0; run < RUNS; run++) {
      const kcatTopic = `bench-kcat-${run}`;
      const kjsTopic = `bench-kafkajs-${run}`;
      const measure = async (broker: BenchBroker) => {
        const produced = await kcatProduce(broker.bootstrap, kcatTopic, inputPath, KCAT_RECORDS);
        const consumed = await kcatConsume(broker.bootstrap, kcatTopic, KCAT_RECORDS);
        const kjsProduced = await kafkajsProduce(broker.bootstrap, kjsTopic, KAFKAJS_RECORDS, VALUE_BYTES, KAFKAJS_BATCH);
        const kjsConsumed = await kafkajsConsume(broker.bootstrap, kjsTopic, `bench-group-${run}`, KAFKAJS_RECORDS);
        return { produced, consumed, kjsProduced, kjsConsumed };
      };
      // Alternate which broker goes first, so a slow phase of the shared machine hits both.
      const first = run % 2 === 0 ? embedded : mock;
      const second = first === embedded ? mock : embedded;
      const firstResult = await measure(first);
      const secondResult = await measure(second);
      const e = first === embedded ? firstResult : secondResult;
      const m = first === embedded ? secondResult : firstResult;
      rows.kcatProduce.push({ value: e.produced.recordsPerSec, baseline: m.produced.recordsPerSec, durationMs: e.produced.durationMs, baselineDurationMs: m.produced.durationMs });
      rows.kcatConsume.push({ value: e.consumed.recordsPerSec, baseline: m.consumed.recordsPerSec, durationMs: e.consumed.durationMs, baselineDurationMs: m.consumed.durationMs });
      rows.kjsProduce.push({ value: e.kjsProduced.recordsPerSec, baseline: m.kjsProduced.recordsPerSec, durationMs: e.kjsProduced.durationMs, baselineDurationMs: m.kjsProduced.durationMs });
      rows.kjsConsume.push({ value: e.kjsConsumed.recordsPerSec, baseline: m.kjsConsumed.recordsPerSec, durationMs: e.kjsConsumed.durationMs, baselineDurationMs: m.kjsConsumed.durationMs });
      console.log(
        `run ${run + 1}/${RUNS}: kcat produce ${Math.round(e.produced.recordsPerSec)} vs ${Math.round(m.produced.recordsPerSec)}, ` +
          `consume ${Math.round(e.consumed.recordsPerSec)} vs ${Math.round(m.consumed.recordsPerSec)}; ` +
          `kafkajs produce ${Math.round(e.kjsProduced.recordsPerSec)} vs ${Math.round(m.kjsProduced.recordsPerSec)}, ` +
          `consume ${Math.round(e.kjsConsumed.recordsPerSec)} vs ${Math.round(m.kjsConsumed.recordsPerSec)} records/s`,
      );
    }
  } finally {
    await mock.stop();
    await embedded.stop();
    input.remove();
  }

  const baselineName = 'librdkafka 2.0.2 mock cluster (in memory)';
  const common = { unit: 'records/s', baselineName, target: RATIO_TARGET };
  const kcatLoad = `${KCAT_RECORDS.toLocaleString('en-US')} records of ${VALUE_BYTES} bytes, topic of ${PARTITIONS} partitions, kcat 1.7.1`;
  const kjsLoad = `${KAFKAJS_RECORDS.toLocaleString('en-US')} records of ${VALUE_BYTES} bytes, topic of ${PARTITIONS} partitions, kafkajs 2.2.4`;
  recordFigure({ ...common, name: 'broker-kcat-produce', workload: `kcat -P -l file, linger.ms=5, acks=-1; ${kcatLoad}`, runs: rows.kcatProduce });
  recordFigure({ ...common, name: 'broker-kcat-consume', workload: `kcat -C -o beginning -e; ${kcatLoad}`, runs: rows.kcatConsume });
  recordFigure({
    ...common,
    name: 'broker-kafkajs-produce',
    workload: `plain (non-idempotent) producer, sequential sends of ${KAFKAJS_BATCH} records, acks=-1; ${kjsLoad}`,
    runs: rows.kjsProduce,
  });
  recordFigure({ ...common, name: 'broker-kafkajs-consume', workload: `group consumer from the beginning, rate from the first batch on; ${kjsLoad}`, runs: rows.kjsConsume });
}

await main();
