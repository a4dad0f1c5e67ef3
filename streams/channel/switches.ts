/**
 * The operators' kill switches, one per channel, as read from the compacted `config.channels`
 * topic (key channelId, last record wins). A channel with no record is enabled. The view is
 * replaced record by record as the topic is consumed, so a switch takes effect on the next
 * payment without a restart.
 */
import type { ChannelSwitch } from '../../schemas/types.ts';

export class ChannelSwitches {
  readonly #disabled = new Map<string, ChannelSwitch>();

  /** A record from the config topic; a tombstone (null value) re-enables its key. */
  apply(channelId: string, value: ChannelSwitch | null): void {
    if (value === null || value.enabled) this.#disabled.delete(channelId);
    else this.#disabled.set(channelId, value);
  }

  enabled(channelId: string): boolean {
    return !this.#disabled.has(channelId);
  }

  /** Why a channel is off (for logs), or null when it is on. */
  reason(channelId: string): string | null {
    const s = this.#disabled.get(channelId);
    return s === undefined ? null : (s.reason ?? `switched off by ${s.updatedBy}`);
  }
}
