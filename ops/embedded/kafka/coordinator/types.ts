/** Small types shared by the coordinators. */

/** Injected time source, so timers are driven by explicit tick(nowMs) calls in tests. */
export interface Clock {
  nowMs(): number;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** Stable map key of a topic-partition; topic names cannot contain NUL. */
export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** A committed (or staged) offset as OffsetCommit carries it; stored verbatim (spec §6). */
export interface CommittedOffset {
  offset: number;
  metadata: string | null;
}

export interface PartitionOffset extends CommittedOffset {
  topic: string;
  partition: number;
}

/**
 * What the transaction coordinator needs from the group coordinator: transactional offsets are
 * staged per producer id, invisible to OffsetFetch until the transaction commits (spec §6, §7).
 */
export interface TxnOffsetSink {
  /** Stages offsets for the producer; answers 0 or the error code for the whole request. */
  stageTxnOffsets(groupId: string, producerId: number, offsets: readonly PartitionOffset[]): number;
  /** Publishes (commit) or drops (abort) what the producer staged; a no-op when nothing is staged. */
  completeTxnOffsets(groupId: string, producerId: number, commit: boolean): void;
}
