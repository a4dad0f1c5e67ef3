/**
 * All four sandbox acquirers at once, each on its own port with fresh credentials, plus the
 * matching adapter configuration: what the embedded launcher and end-to-end tests start.
 */
import type { Logger } from '../../../lib/logger.ts';
import type { ChannelConfig } from '../index.ts';
import { CHANNEL_IDS, type ChannelId } from '../types.ts';
import type { BehaviourPatch } from './behaviour.ts';
import type { Clock } from './core.ts';
import { generateSandboxCredentials } from './credentials.ts';
import { startSandboxAcquirer, type RunningSandbox } from './server.ts';

export interface FleetOptions {
  host?: string;
  /** paystream's notifications endpoint for a wallet, e.g. `${api}/v1/notifications/wallet_a`. */
  notifyUrl: (channelId: 'wallet_a' | 'wallet_b') => string;
  /** Adapter timeout per call. */
  timeoutMs: number;
  seed?: number;
  clock?: Clock;
  behaviour?: Partial<Record<ChannelId, BehaviourPatch>>;
  log?: Logger;
}

export interface SandboxFleet {
  sandboxes: Record<ChannelId, RunningSandbox>;
  /** Configuration for `createChannelAdapter`, one per channel. */
  adapters: Record<ChannelId, ChannelConfig>;
  close(): Promise<void>;
}

export async function startSandboxFleet(options: FleetOptions): Promise<SandboxFleet> {
  const started: RunningSandbox[] = [];
  const configs: Partial<Record<ChannelId, ChannelConfig>> = {};
  try {
    for (const [i, channelId] of CHANNEL_IDS.entries()) {
      const credentials = generateSandboxCredentials(channelId);
      const sandbox = await startSandboxAcquirer(channelId, {
        credentials,
        seed: (options.seed ?? 1) * 31 + i,
        ...(options.host === undefined ? {} : { host: options.host }),
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...(options.log === undefined ? {} : { log: options.log.child({ sandbox: channelId }) }),
        behaviour: options.behaviour?.[channelId] ?? {},
      });
      started.push(sandbox);
      const common = { baseUrl: sandbox.url, timeoutMs: options.timeoutMs, ...(options.clock === undefined ? {} : { clock: options.clock }) };
      switch (credentials.channelId) {
        case 'acq_alpha':
          configs.acq_alpha = { channelId: 'acq_alpha', config: { ...common, credentials: credentials.merchant } };
          break;
        case 'acq_beta':
          configs.acq_beta = { channelId: 'acq_beta', config: { ...common, credentials: credentials.merchant } };
          break;
        case 'wallet_a':
          configs.wallet_a = { channelId: 'wallet_a', config: { ...common, credentials: credentials.merchant, notifyUrl: options.notifyUrl('wallet_a') } };
          break;
        case 'wallet_b':
          configs.wallet_b = { channelId: 'wallet_b', config: { ...common, credentials: credentials.merchant, notifyUrl: options.notifyUrl('wallet_b') } };
          break;
        default: {
          const unreachable: never = credentials;
          throw new Error(`unknown channel ${JSON.stringify(unreachable)}`);
        }
      }
    }
  } catch (err) {
    await Promise.all(started.map((s) => s.close()));
    throw err;
  }
  const byId = Object.fromEntries(started.map((s) => [s.name, s])) as Record<ChannelId, RunningSandbox>;
  return { sandboxes: byId, adapters: configs as Record<ChannelId, ChannelConfig>, close: async () => void (await Promise.all(started.map((s) => s.close()))) };
}
