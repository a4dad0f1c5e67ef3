import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../lib/logger.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import type { ChannelHealth } from '../../schemas/types.ts';
import { ChannelError } from '../../connectors/channels/types.ts';
import { ChannelGate } from '../../streams/channel/gate.ts';
import { startHealthPublisher } from '../../streams/channel/health.ts';
import { ChannelSwitches } from '../../streams/channel/switches.ts';
import { Scope, connectedAdmin, connectedConsumer, newKafka, uniqueName } from '../helpers/kafkajs.ts';
import { startBrokerWithRegistry } from '../helpers/registry.ts';
import { waitFor } from '../helpers/wait.ts';

const logger = createLogger({ level: 'silent' });
let scope: Scope;
let bootstrap: string;
let codec: AvroCodec;

before(async () => {
  scope = new Scope({ after: () => undefined });
  ({ bootstrap, codec } = await startBrokerWithRegistry(scope));
});
after(() => scope.close());

test('each executor instance reports its breaker per channel on channel.health: at start, when the breaker opens, and a tombstone when it stops', { timeout: 30_000 }, async () => {
  const topic = uniqueName('health');
  const kafka = newKafka(bootstrap);
  await (await connectedAdmin(scope, kafka)).createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
  let publish: (channelId: string) => void = () => undefined;
  const gate = new ChannelGate({ channelId: 'acq_alpha', inFlightMax: 4, switches: new ChannelSwitches(), breaker: { windowMs: 10_000, buckets: 10, callsMin: 3, failureRateOpen: 0.5, cooldownMs: 60_000 }, onBreakerChange: (id) => publish(id) });
  const publisher = await startHealthPublisher({ kafka, codec, gates: () => ({ acq_alpha: gate }), logger, topic, heartbeatMs: 60_000, instanceId: 'exec-1' });
  publish = publisher.publish;

  const seen: Array<{ key: string; value: ChannelHealth | null }> = [];
  const reader = await connectedConsumer(scope, kafka, uniqueName('reader'));
  await reader.subscribe({ topic, fromBeginning: true });
  await reader.run({ eachMessage: async ({ message }) => void seen.push({ key: message.key?.toString() ?? '', value: message.value === null ? null : await codec.decode('ChannelHealth', message.value) }) });
  await waitFor(() => seen.length >= 1, { timeoutMs: 10_000, message: () => 'the first report' });
  assert.deepEqual([seen[0]?.key, seen[0]?.value?.breaker, seen[0]?.value?.enabled], ['acq_alpha/exec-1', 'CLOSED', true]);

  // Three failing calls open the breaker: a report follows at once, not at the next heartbeat.
  for (let i = 0; i < 3; i += 1) {
    await gate.create(async () => ({ status: 'error', charged: false, error: new ChannelError('acq_alpha', 'channel_unavailable', 'down', { charge: 'not_charged' }) }));
  }
  await waitFor(() => seen.some((r) => r.value?.breaker === 'OPEN'), { timeoutMs: 10_000, message: () => `an OPEN report (have ${JSON.stringify(seen.map((r) => r.value?.breaker))})` });

  await publisher.stop();
  await waitFor(() => seen.at(-1)?.value === null, { timeoutMs: 10_000, message: () => 'the tombstone of a stopped instance' });
  assert.equal(seen.at(-1)?.key, 'acq_alpha/exec-1');
});
