/**
 * Metadata (key 3) v4 (spec §8): one broker, node 0, which is also the controller (kafkajs sends
 * idempotent InitProducerId and topic admin to the controller). Internal topic names are hidden.
 * A missing topic is auto-created, ready, when both the request and the broker allow it.
 */
import { ErrorCode } from '../contracts.ts';
import { InvalidTopicNameError, LogError } from '../log/errors.ts';
import { validateTopicName } from '../log/topic-config.ts';
import {
  API_KEY,
  VERSION,
  decodeMetadataRequest,
  encodeMetadataResponse,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponseTopic,
} from '../protocol/apis/metadata.ts';
import { INTERNAL_TOPICS, type Broker } from '../broker.ts';
import { defineHandler } from './handler.ts';

export const BROKER_NODE_ID = 0;
/** Any stable id works; clients only compare it across metadata answers. */
export const CLUSTER_ID = 'paystream-embedded';

function described(broker: Broker, name: string): MetadataResponseTopic | undefined {
  const config = broker.logs.topicConfig(name);
  if (config === undefined) return undefined;
  const partitions = [];
  for (let p = 0; p < config.partitions; p += 1) {
    partitions.push({ errorCode: ErrorCode.NONE, partitionIndex: p, leaderId: BROKER_NODE_ID, replicaNodes: [BROKER_NODE_ID], isrNodes: [BROKER_NODE_ID] });
  }
  return { errorCode: ErrorCode.NONE, name, isInternal: false, partitions };
}

function missing(name: string, errorCode: number): MetadataResponseTopic {
  return { errorCode, name, isInternal: false, partitions: [] };
}

/** A requested topic: described, auto-created, or an error entry with no partitions. */
function requested(broker: Broker, name: string, allowAutoCreate: boolean): MetadataResponseTopic {
  if (INTERNAL_TOPICS.has(name)) return missing(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const existing = described(broker, name);
  if (existing !== undefined) return existing;
  try {
    validateTopicName(name);
  } catch (err) {
    if (err instanceof InvalidTopicNameError) return missing(name, ErrorCode.INVALID_TOPIC_EXCEPTION);
    throw err;
  }
  if (!allowAutoCreate || !broker.options.autoCreateTopics) return missing(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  try {
    broker.createTopic(name, broker.defaultTopicConfig());
  } catch (err) {
    if (err instanceof LogError) return described(broker, name) ?? missing(name, err.kafkaCode);
    throw err;
  }
  return described(broker, name) ?? missing(name, ErrorCode.LEADER_NOT_AVAILABLE);
}

export const metadataHandler = defineHandler<MetadataRequest, MetadataResponse>({
  apiKey: API_KEY,
  version: VERSION,
  name: 'Metadata',
  decode: decodeMetadataRequest,
  encode: encodeMetadataResponse,
  handle(ctx, req) {
    const { broker } = ctx;
    const topics =
      req.topics === null
        ? broker.logs
            .topicNames()
            .filter((name) => !INTERNAL_TOPICS.has(name))
            .sort()
            .flatMap((name) => described(broker, name) ?? [])
        : req.topics.map((t) => requested(broker, t.name, req.allowAutoTopicCreation));
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: BROKER_NODE_ID, host: broker.advertised.host, port: broker.advertised.port, rack: null }],
      clusterId: CLUSTER_ID,
      controllerId: BROKER_NODE_ID,
      topics,
    };
  },
});
