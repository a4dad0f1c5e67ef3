import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openPartitionLog } from './partition-log.ts';
import { splitBatches } from './record-batch.ts';
import { decodeRecords, encodeBatch } from './records.ts';
import { capturingLogger, tempDir, topicConfig } from './test-support.ts';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'append-until-killed.ts');
const ACKS_BEFORE_KILL = 5000;

test('partition log keeps every acknowledged append when the process is killed with SIGKILL', async (t) => {
  const { dir, cleanup } = tempDir('plog-sigkill');
  t.after(cleanup);
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  let lastAcked = -1;
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`only ${lastAcked + 1} acks before the deadline`)), 30_000);
    void exited.then(([code, signal]) => reject(new Error(`fixture exited early with ${String(code)} / ${String(signal)}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) lastAcked = Number(line);
      if (lastAcked + 1 >= ACKS_BEFORE_KILL) {
        clearTimeout(deadline);
        resolve();
      }
    });
  });
  child.kill('SIGKILL');
  await exited;
  const { logger } = capturingLogger();
  const log = openPartitionLog({ dir, topic: 'kill', partition: 0, config: topicConfig({ segmentBytes: 64 * 1024 }), logger, fsyncIntervalMs: 0 });
  assert.ok(log.logEndOffset() > lastAcked, `log end ${log.logEndOffset()} must pass last ack ${lastAcked}`);
  const records = splitBatches(log.read(0, Infinity, 1e9).bytes).flatMap((b) => decodeRecords(b));
  assert.equal(records.length, log.logEndOffset());
  records.forEach((r, i) => assert.equal(r.value?.toString(), `value-${i}`));
  assert.equal(log.append(encodeBatch([{ key: null, value: Buffer.from('after') }])).baseOffset, records.length);
  log.close();
});
