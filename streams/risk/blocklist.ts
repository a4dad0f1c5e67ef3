/**
 * Blocklists as the risk processor uses them: the rules file's entries plus the compacted
 * `config.blocklists` topic, followed by every instance from its beginning (its own consumer
 * group), so a block written by an operator applies to every instance within a fetch, without a
 * restart. Routing waits until the topic was read to its end, so no payment is decided on a
 * partial list.
 */
import type { Kafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import type { BlocklistEntry } from '../../schemas/types.ts';
import { followConfig, type Follower } from '../router/follow.ts';
import type { RiskRules } from './rules.ts';
import { rulesBlocklist, type BlocklistKind, type IsBlocked } from './score.ts';

export const BLOCKLIST_TOPIC = 'config.blocklists';
/** How long a starting instance waits to have read the whole blocklist topic. */
export const BLOCKLIST_CATCH_UP_TIMEOUT_MS = 60_000;

export const blocklistKey = (kind: BlocklistKind, value: string): string => `${kind}:${value}`;

export class LiveBlocklist {
  private entries = new Set<string>();

  constructor(private readonly fromRules: IsBlocked) {}

  readonly isBlocked: IsBlocked = (kind, value) => this.fromRules(kind, value) || this.entries.has(blocklistKey(kind, value));

  apply(records: ReadonlyArray<{ key: string; value: BlocklistEntry | null }>): void {
    // A fetched batch becomes one new set, swapped in one assignment.
    const next = new Set(this.entries);
    for (const r of records) {
      if (r.value === null || !r.value.blocked) next.delete(r.key);
      else next.add(blocklistKey(r.value.kind, r.value.value));
    }
    this.entries = next;
  }

  get size(): number {
    return this.entries.size;
  }
}

export async function followBlocklist(options: { kafka: Kafka; codec: AvroCodec; rules: RiskRules; logger: Logger; topic?: string; name?: string }): Promise<{ blocklist: LiveBlocklist; follower: Follower }> {
  const blocklist = new LiveBlocklist(rulesBlocklist(options.rules));
  const follower = await followConfig<BlocklistEntry>({
    kafka: options.kafka,
    topic: options.topic ?? BLOCKLIST_TOPIC,
    name: options.name ?? 'risk-blocklist',
    decode: (bytes) => options.codec.decode('BlocklistEntry', bytes),
    apply: (records) => blocklist.apply(records),
    logger: options.logger,
    catchUpTimeoutMs: BLOCKLIST_CATCH_UP_TIMEOUT_MS,
  });
  await follower.caughtUp;
  return { blocklist, follower };
}
