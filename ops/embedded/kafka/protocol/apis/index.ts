/**
 * The API set the broker advertises and implements (spec §1 table), and the codec module of each
 * key for dispatch. Every key is advertised as 0..max because librdkafka enables features only
 * when the broker's range overlaps fixed ones, while both clients then send min(clientMax,
 * brokerMax) — so the max is the one version implemented (ApiVersions alone also answers 0–2).
 */
import * as addOffsetsToTxn from './add-offsets-to-txn.ts';
import * as addPartitionsToTxn from './add-partitions-to-txn.ts';
import * as apiVersions from './api-versions.ts';
import type { ApiVersionsResponseKey } from './api-versions.ts';
import * as createTopics from './create-topics.ts';
import * as deleteTopics from './delete-topics.ts';
import * as describeGroups from './describe-groups.ts';
import * as endTxn from './end-txn.ts';
import * as fetch from './fetch.ts';
import * as findCoordinator from './find-coordinator.ts';
import * as heartbeat from './heartbeat.ts';
import * as initProducerId from './init-producer-id.ts';
import * as joinGroup from './join-group.ts';
import * as leaveGroup from './leave-group.ts';
import * as listGroups from './list-groups.ts';
import * as listOffsets from './list-offsets.ts';
import * as metadata from './metadata.ts';
import * as offsetCommit from './offset-commit.ts';
import * as offsetFetch from './offset-fetch.ts';
import * as produce from './produce.ts';
import * as syncGroup from './sync-group.ts';
import * as txnOffsetCommit from './txn-offset-commit.ts';

/** Codec modules by name, in api-key order. */
export const API_MODULES = {
  produce,
  fetch,
  listOffsets,
  metadata,
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  describeGroups,
  listGroups,
  apiVersions,
  createTopics,
  deleteTopics,
  initProducerId,
  addPartitionsToTxn,
  addOffsetsToTxn,
  endTxn,
  txnOffsetCommit,
} as const;

export type ApiName = keyof typeof API_MODULES;
export type ApiModule = (typeof API_MODULES)[ApiName];

/** Module of each implemented api key. */
export const API_MODULES_BY_KEY: ReadonlyMap<number, ApiModule> = new Map(
  Object.values(API_MODULES).map((m): [number, ApiModule] => [m.API_KEY, m]),
);

/** Name of each implemented api key (for logs and metrics labels). */
export const API_NAME_BY_KEY: ReadonlyMap<number, ApiName> = new Map(
  (Object.keys(API_MODULES) as ApiName[]).map((name): [number, ApiName] => [API_MODULES[name].API_KEY, name]),
);

/** The ApiVersions answer: every key 0..max, in api-key order (spec §1, "MinVersion must be 0"). */
export const ADVERTISED_API_VERSIONS: readonly Readonly<ApiVersionsResponseKey>[] = Object.freeze(
  Object.values(API_MODULES)
    .map((m) => Object.freeze({ apiKey: m.API_KEY, minVersion: 0, maxVersion: m.VERSION }))
    .sort((a, b) => a.apiKey - b.apiKey),
);

/**
 * Whether a request of this key and version has a codec. Anything else closes the socket,
 * except ApiVersions, which answers unsupported versions with the v0 fallback (spec §1).
 */
export function isImplementedVersion(apiKey: number, apiVersion: number): boolean {
  if (apiKey === apiVersions.API_KEY) return apiVersions.isApiVersionsVersion(apiVersion);
  const m = API_MODULES_BY_KEY.get(apiKey);
  return m !== undefined && m.VERSION === apiVersion;
}
