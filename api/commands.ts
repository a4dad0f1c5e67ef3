/**
 * Writes payment commands to `payments.commands`: Avro in the Confluent wire format
 * (schemas/codec.ts), key paymentId, acks=-1 (all in-sync replicas) so a 202 always follows a
 * durable write. A produce that does not finish within PRODUCE_TIMEOUT_MS fails with 503; a
 * record still queued then is dropped unsent, and one already sent that lands later is repeated
 * by the merchant's retry with the same (derived) commandId, which consumers drop as a duplicate.
 *
 * Like the Java producer's batching (linger), commands of concurrent requests are sent together:
 * when PRODUCE_IN_FLIGHT_MAX produce requests are already out, new commands queue and leave in
 * the next batch, so under load one broker write (and one fsync on the embedded broker) acknowledges
 * many requests, and when idle a command leaves at once.
 */
import { formatTraceparent, nextHop } from '../streams/runtime/traceparent.ts';
import type { Kafka, Producer } from '../lib/kafka.ts';
import { JAVA_COMPATIBLE_PARTITIONER } from '../lib/kafka.ts';
import type { AvroCodec } from '../schemas/codec.ts';
import type { ChannelNotification, PaymentCommand } from '../schemas/types.ts';
import { guarded } from './errors.ts';
import { PRODUCE_BATCH_RECORDS_MAX, PRODUCE_IN_FLIGHT_MAX, PRODUCE_QUEUE_RECORDS_MAX, PRODUCE_TIMEOUT_MS } from './limits.ts';

export const COMMANDS_TOPIC = 'payments.commands';
export const NOTIFICATIONS_TOPIC = 'channel.notifications';

export interface CommandSink {
  /** A payment command on payments.commands, key paymentId. */
  send(command: PaymentCommand, traceparent: string): Promise<void>;
  /** A verified channel callback on channel.notifications, key paymentId. */
  notify(notification: ChannelNotification, traceparent: string): Promise<void>;
  close(): Promise<void>;
}

/** Fails after `ms` with a timeout error; the caller maps it to 503. */
function deadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

interface Queued {
  topic: string;
  key: string;
  value: Buffer;
  traceparent: string;
  /** Its request has answered 503 by then: a record still queued at that time is never sent. */
  expiresAtMs: number;
  resolve(): void;
  reject(err: unknown): void;
}

export class KafkaCommandSink implements CommandSink {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;
  private isConnected = false;
  private queue: Queued[] = [];
  private inFlight = 0;
  private flushScheduled = false;
  private sweep: NodeJS.Timeout | undefined;

  constructor(
    kafka: Kafka,
    private readonly codec: AvroCodec,
    private readonly timeoutMs = PRODUCE_TIMEOUT_MS,
  ) {
    this.producer = kafka.producer({
      createPartitioner: JAVA_COMPATIBLE_PARTITIONER,
      allowAutoTopicCreation: false,
      idempotent: false,
      maxInFlightRequests: 5,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
  }

  private connect(): Promise<void> {
    this.connected ??= this.producer.connect().then(
      () => {
        this.isConnected = true;
      },
      (err: unknown) => {
        this.connected = undefined;
        throw err;
      },
    );
    return this.connected;
  }

  send(command: PaymentCommand, traceparent: string): Promise<void> {
    return this.publish(COMMANDS_TOPIC, command.paymentId, () => this.codec.encode(COMMANDS_TOPIC, 'PaymentCommand', command), traceparent);
  }

  notify(notification: ChannelNotification, traceparent: string): Promise<void> {
    return this.publish(NOTIFICATIONS_TOPIC, notification.paymentId, () => this.codec.encode(NOTIFICATIONS_TOPIC, 'ChannelNotification', notification), traceparent);
  }

  private async publish(topic: string, key: string, encode: () => Promise<Buffer>, traceparent: string): Promise<void> {
    await guarded('kafka', async () => {
      if (this.queue.length >= PRODUCE_QUEUE_RECORDS_MAX) throw new Error(`${this.queue.length} records already wait for Kafka`);
      const value = await encode();
      if (!this.isConnected) await deadline(this.connect(), this.timeoutMs, 'connecting to Kafka');
      // The deadline is kept per batch, not per record: a queued record expires at the next flush
      // or sweep (below), a sent one with its batch.
      await new Promise<void>((resolve, reject) => {
        this.queue.push({ topic, key, value, traceparent, expiresAtMs: Date.now() + this.timeoutMs, resolve, reject });
        this.schedule();
      });
    });
  }

  private schedule(): void {
    if (this.queue.length === 0) return;
    if (this.inFlight >= PRODUCE_IN_FLIGHT_MAX) {
      // Every slot is taken: make sure the oldest queued record still fails on time.
      this.sweep ??= setTimeout(
        () => {
          this.sweep = undefined;
          this.expire(Date.now());
          this.schedule();
        },
        Math.max(0, (this.queue[0]?.expiresAtMs ?? 0) - Date.now()),
      );
      return;
    }
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Commands queued in this turn of the event loop leave together.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Fails the queued records whose requests have answered 503 by now: they are never sent. */
  private expire(nowMs: number): void {
    if ((this.queue[0]?.expiresAtMs ?? Number.POSITIVE_INFINITY) > nowMs) return;
    const expired = this.queue.filter((q) => q.expiresAtMs <= nowMs);
    this.queue = this.queue.filter((q) => q.expiresAtMs > nowMs);
    for (const q of expired) q.reject(new Error('waited past the produce deadline; not sent'));
  }

  private flush(): void {
    this.expire(Date.now());
    while (this.inFlight < PRODUCE_IN_FLIGHT_MAX && this.queue.length > 0) {
      const batch = this.queue.splice(0, PRODUCE_BATCH_RECORDS_MAX);
      this.inFlight += 1;
      const topics = [...new Set(batch.map((q) => q.topic))];
      const topicMessages = topics.map((topic) => ({
        topic,
        messages: batch.filter((q) => q.topic === topic).map((q) => ({ key: q.key, value: q.value, headers: { traceparent: q.traceparent } })),
      }));
      const sent = this.producer.sendBatch({ acks: -1, timeout: this.timeoutMs, topicMessages });
      // The batch's requests answer by the deadline of its oldest record; the slot stays taken until
      // kafkajs itself gives up, so a hung broker cannot collect unbounded requests.
      deadline(sent, Math.max(0, (batch[0]?.expiresAtMs ?? 0) - Date.now()), `producing to ${topics.join(', ')}`).then(
        () => batch.forEach((q) => q.resolve()),
        (err: unknown) => batch.forEach((q) => q.reject(err)),
      );
      sent
        .catch(() => undefined)
        .finally(() => {
          this.inFlight -= 1;
          this.schedule();
        });
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.sweep);
    this.sweep = undefined;
    this.isConnected = false;
    await this.producer.disconnect();
  }
}

/** Continues the caller's W3C trace (https://www.w3.org/TR/trace-context/) with a new span, or starts one. */
export function traceparentFor(incoming: string | string[] | undefined): string {
  return formatTraceparent(nextHop(typeof incoming === 'string' ? incoming : undefined).context);
}
