/**
 * Parked Fetch long polls (spec §5 "Long poll"). A Fetch that found fewer than min_bytes waits
 * here until one of its partitions changes (an append, or an LSO move from EndTxn or a timeout
 * abort) or its max_wait passes, then re-reads. Without this both kafkajs and librdkafka refetch
 * at once and spin (spec §9.4); without the LSO wake-up read_committed readers lag by max_wait
 * (spec §9.8).
 */

function keyOf(topic: string, partition: number): string {
  return `${partition}:${topic}`;
}

interface Waiter {
  keys: string[];
  wake: () => void;
}

export class FetchWaiters {
  private readonly byKey = new Map<string, Set<Waiter>>();
  private readonly all = new Set<Waiter>();

  /**
   * Resolves when any listed partition is notified, when `timeoutMs` passes, or on wakeAll().
   * Never rejects; the caller re-evaluates its fetch either way.
   */
  waitForChange(partitions: Iterable<{ topic: string; partition: number }>, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const keys = [...partitions].map((p) => keyOf(p.topic, p.partition));
      const waiter: Waiter = {
        keys,
        wake: () => {
          clearTimeout(timer);
          this.remove(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, Math.max(0, timeoutMs));
      this.all.add(waiter);
      for (const key of keys) {
        let set = this.byKey.get(key);
        if (set === undefined) {
          set = new Set();
          this.byKey.set(key, set);
        }
        set.add(waiter);
      }
    });
  }

  /** Wakes every fetch parked on this partition. */
  notify(topic: string, partition: number): void {
    const set = this.byKey.get(keyOf(topic, partition));
    if (set === undefined) return;
    for (const waiter of [...set]) waiter.wake();
  }

  /** Wakes every parked fetch (topic deletion, shutdown). */
  wakeAll(): void {
    for (const waiter of [...this.all]) waiter.wake();
  }

  get parkedCount(): number {
    return this.all.size;
  }

  private remove(waiter: Waiter): void {
    this.all.delete(waiter);
    for (const key of waiter.keys) {
      const set = this.byKey.get(key);
      if (set === undefined) continue;
      set.delete(waiter);
      if (set.size === 0) this.byKey.delete(key);
    }
  }
}
