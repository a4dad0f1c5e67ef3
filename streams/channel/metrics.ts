/** The executor's Prometheus metrics: breaker state per channel, attempts by status. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ChannelId } from '../../connectors/channels/types.ts';
import type { BreakerKind } from './breaker.ts';

const BREAKER_KINDS: readonly BreakerKind[] = ['closed', 'open', 'half_open'];

export interface ExecutorMetrics {
  breakerChanged(channelId: ChannelId, kind: BreakerKind): void;
  attempt(channelId: string, status: string): void;
  outcome(end: string): void;
}

export function createExecutorMetrics(registry: Registry, channelIds: readonly ChannelId[]): ExecutorMetrics {
  const breaker = new Gauge({
    name: 'paystream_channel_breaker_state',
    help: 'Circuit breaker state per channel: 1 on the current state, 0 on the others',
    labelNames: ['channel', 'state'],
    registers: [registry],
  });
  const attempts = new Counter({
    name: 'paystream_channel_attempts_total',
    help: 'Attempt records produced by the channel executor, by channel and status',
    labelNames: ['channel', 'status'],
    registers: [registry],
  });
  const outcomes = new Counter({
    name: 'paystream_channel_payments_total',
    help: 'Payments the channel executor finished, by how they ended',
    labelNames: ['end'],
    registers: [registry],
  });
  const setBreaker = (channelId: ChannelId, kind: BreakerKind): void => {
    for (const k of BREAKER_KINDS) breaker.set({ channel: channelId, state: k }, k === kind ? 1 : 0);
  };
  for (const id of channelIds) setBreaker(id, 'closed');
  return {
    breakerChanged: (channelId, kind) => setBreaker(channelId, kind),
    attempt: (channelId, status) => attempts.inc({ channel: channelId, status }),
    outcome: (end) => outcomes.inc({ end }),
  };
}
