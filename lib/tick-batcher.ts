/**
 * Group calls made in one turn of the event loop into one. Concurrent requests each `submit` an
 * item; at the end of the turn (setImmediate) the items so far go to `run` together, at most
 * `maxItems` at a time, and each caller gets the result at its own index. Used where one round
 * trip can serve many callers (a Redis script over many keys) and per-call overhead, not the
 * server, is what costs. A failed `run` fails every caller of that batch.
 */
export class TickBatcher<In, Out> {
  private queue: Array<{ item: In; resolve(out: Out): void; reject(err: unknown): void }> = [];
  private scheduled = false;

  constructor(
    private readonly run: (items: In[]) => Promise<Out[]>,
    private readonly maxItems: number,
  ) {
    if (!(maxItems >= 1)) throw new RangeError(`maxItems must be at least 1, not ${maxItems}`);
  }

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxItems);
      let results: Promise<Out[]>;
      try {
        results = this.run(batch.map((b) => b.item));
      } catch (err) {
        results = Promise.reject(err);
      }
      results.then(
        (outs) => {
          if (outs.length !== batch.length) {
            const err = new Error(`a batch of ${batch.length} got ${outs.length} results`);
            for (const b of batch) b.reject(err);
            return;
          }
          batch.forEach((b, i) => b.resolve(outs[i] as Out));
        },
        (err: unknown) => {
          for (const b of batch) b.reject(err);
        },
      );
    }
  }
}
