/**
 * Publishes this executor instance's view of each channel on the compacted `channel.health`
 * topic (key `channelId/instanceId`): on every breaker change, and as a heartbeat so the router
 * can tell a live instance from one that is gone (it ignores reports older than a minute). The
 * router steers new payments away from a channel whose breaker is open on every live instance.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import type { ChannelHealth } from '../../schemas/types.ts';
import type { ChannelGate } from './gate.ts';

/** Heartbeat: a few per minute, well inside the router's one-minute staleness limit. */
export const HEALTH_HEARTBEAT_MS = 15_000;
export const HEALTH_TOPIC = 'channel.health';

const BREAKER: Record<string, ChannelHealth['breaker']> = { closed: 'CLOSED', open: 'OPEN', half_open: 'HALF_OPEN' };

export interface HealthPublisher {
  readonly instanceId: string;
  /** Publishes one channel's state now (e.g. after its breaker changed). */
  publish(channelId: string): void;
  stop(): Promise<void>;
}

export async function startHealthPublisher(options: { kafka: Kafka; codec: AvroCodec; gates: () => Readonly<Partial<Record<string, ChannelGate>>>; logger: Logger; topic?: string; heartbeatMs?: number; instanceId?: string }): Promise<HealthPublisher> {
  const topic = options.topic ?? HEALTH_TOPIC;
  const instanceId = options.instanceId ?? `channel-${randomUUID().slice(0, 8)}`;
  const producer: Producer = options.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let sending: Promise<unknown> = Promise.resolve();
  const send = (channelIds: readonly string[]) => {
    sending = sending.then(async () => {
      const gates = options.gates();
      const messages = await Promise.all(
        channelIds.flatMap((channelId) => {
          const gate = gates[channelId];
          if (gate === undefined) return [];
          const report: ChannelHealth = { channelId, instanceId, breaker: BREAKER[gate.breaker] ?? 'CLOSED', enabled: gate.enabled, inFlight: gate.inFlight, updatedAtMs: Date.now() };
          return [options.codec.encode(topic, 'ChannelHealth', report).then((value) => ({ key: `${channelId}/${instanceId}`, value }))];
        }),
      );
      if (messages.length > 0) await producer.send({ topic, messages });
    }).catch((err: unknown) => options.logger.warn({ err }, 'could not publish channel health; the next heartbeat retries'));
  };
  const all = () => send(Object.keys(options.gates()));
  all();
  const timer = setInterval(all, options.heartbeatMs ?? HEALTH_HEARTBEAT_MS);
  timer.unref();
  return {
    instanceId,
    publish: (channelId) => send([channelId]),
    async stop() {
      clearInterval(timer);
      // This instance's reports are removed, so the router does not wait for them to age out.
      const gone = Object.keys(options.gates()).map((channelId) => ({ key: `${channelId}/${instanceId}`, value: null }));
      await sending;
      await producer.send({ topic, messages: gone }).catch((err: unknown) => options.logger.warn({ err }, 'could not retract channel health'));
      await producer.disconnect();
    },
  };
}
