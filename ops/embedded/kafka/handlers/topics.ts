/**
 * CreateTopics v0 and DeleteTopics v0 (spec §8). Topics are created ready (no LEADER_NOT_AVAILABLE
 * phase). Configs: the five the log implements; other Kafka topic configs (replication,
 * compression, ...) are accepted and ignored with a log line, so production topic definitions work
 * unchanged.
 */
import { ErrorCode, type TopicConfig } from '../contracts.ts';
import { LogError } from '../log/errors.ts';
import { applyKafkaConfigs } from '../log/topic-config.ts';
import * as createTopics from '../protocol/apis/create-topics.ts';
import * as deleteTopics from '../protocol/apis/delete-topics.ts';
import { INTERNAL_TOPICS, type Broker } from '../broker.ts';
import { defineHandler } from './handler.ts';

/** num_partitions / replication_factor -1: use the broker default (KIP-464). */
const USE_DEFAULT = -1;
/** The only replica is node 0. */
const REPLICATION_FACTOR_MAX = 1;

type Outcome = { config: TopicConfig } | { errorCode: number };

/** Applies CreateTopics configs to the broker defaults (log/topic-config.ts validates them). */
export function topicConfigFrom(broker: Broker, topic: createTopics.CreatableTopic): Outcome {
  if (topic.numPartitions !== USE_DEFAULT && topic.numPartitions < 1) return { errorCode: ErrorCode.INVALID_PARTITIONS };
  if (topic.replicationFactor !== USE_DEFAULT && (topic.replicationFactor < 1 || topic.replicationFactor > REPLICATION_FACTOR_MAX)) {
    return { errorCode: ErrorCode.INVALID_REPLICATION_FACTOR };
  }
  let partitions = topic.numPartitions === USE_DEFAULT ? broker.options.defaultPartitions : topic.numPartitions;
  if (topic.assignments.length > 0) {
    // Kafka: explicit assignments exclude num_partitions/replication_factor; every replica must be node 0.
    if (topic.numPartitions !== USE_DEFAULT || topic.replicationFactor !== USE_DEFAULT) return { errorCode: ErrorCode.INVALID_REQUEST };
    if (topic.assignments.some((a) => a.brokerIds.length !== 1 || a.brokerIds[0] !== 0)) return { errorCode: ErrorCode.INVALID_REPLICATION_FACTOR };
    partitions = topic.assignments.length;
  }
  try {
    const { config, ignored } = applyKafkaConfigs(broker.defaultTopicConfig(partitions), topic.configs);
    if (ignored.length > 0) broker.logger.info({ topic: topic.name, ignored }, 'topic configs without effect on this broker were ignored');
    return { config };
  } catch (err) {
    if (err instanceof LogError) return { errorCode: err.kafkaCode };
    throw err;
  }
}

function createOne(broker: Broker, topic: createTopics.CreatableTopic): number {
  if (INTERNAL_TOPICS.has(topic.name)) return ErrorCode.INVALID_TOPIC_EXCEPTION;
  if (broker.logs.topicConfig(topic.name) !== undefined) return ErrorCode.TOPIC_ALREADY_EXISTS;
  const outcome = topicConfigFrom(broker, topic);
  if ('errorCode' in outcome) return outcome.errorCode;
  try {
    broker.createTopic(topic.name, outcome.config);
  } catch (err) {
    if (err instanceof LogError) return err.kafkaCode;
    throw err;
  }
  return ErrorCode.NONE;
}

export const createTopicsHandler = defineHandler<createTopics.CreateTopicsRequest, createTopics.CreateTopicsResponse>({
  apiKey: createTopics.API_KEY,
  version: createTopics.VERSION,
  name: 'CreateTopics',
  decode: createTopics.decodeCreateTopicsRequest,
  encode: createTopics.encodeCreateTopicsResponse,
  handle(ctx, req) {
    // Kafka refuses every entry of a name listed twice in one request, and creates none of them.
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    return {
      topics: req.topics.map((t) => ({
        name: t.name,
        errorCode: (counts.get(t.name) ?? 0) > 1 ? ErrorCode.INVALID_REQUEST : createOne(ctx.broker, t),
      })),
    };
  },
});

function deleteOne(broker: Broker, name: string): number {
  if (INTERNAL_TOPICS.has(name) || broker.logs.topicConfig(name) === undefined) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  try {
    broker.deleteTopic(name);
  } catch (err) {
    if (err instanceof LogError) return err.kafkaCode;
    throw err;
  }
  return ErrorCode.NONE;
}

export const deleteTopicsHandler = defineHandler<deleteTopics.DeleteTopicsRequest, deleteTopics.DeleteTopicsResponse>({
  apiKey: deleteTopics.API_KEY,
  version: deleteTopics.VERSION,
  name: 'DeleteTopics',
  decode: deleteTopics.decodeDeleteTopicsRequest,
  encode: deleteTopics.encodeDeleteTopicsResponse,
  handle(ctx, req) {
    return { responses: req.topicNames.map((name) => ({ name, errorCode: deleteOne(ctx.broker, name) })) };
  },
});
