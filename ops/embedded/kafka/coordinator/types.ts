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
