/**
 * An in-memory channel for executor tests: charges once per attempt id, answers from a script
 * (approve, decline, unavailable, or time out after charging / without charging) and resolves
 * queries from what it really did.
 */
import { ChannelError, type ChannelAdapter, type ChannelId, type PaymentResult, type StatusResult } from '../../../connectors/channels/types.ts';

export type Script = 'approve' | 'decline' | 'unavailable' | 'timeout_charged' | 'timeout_uncharged' | 'query_fails';

export interface FakeChannel extends ChannelAdapter {
  charges: Map<string, number>;
  creates: string[];
  queries: string[];
  script: (attemptId: string) => Script;
}

export function fakeChannel(channelId: ChannelId, script: (attemptId: string) => Script): FakeChannel {
  const charges = new Map<string, number>();
  const closed = new Set<string>();
  const self: FakeChannel = {
    channelId,
    charges,
    creates: [],
    queries: [],
    script,
    async createPayment(request): Promise<PaymentResult> {
      self.creates.push(request.attemptId);
      if (closed.has(request.attemptId)) return { status: 'declined', reason: 'other', channelReasonCode: 'closed', channelReference: null };
      const s = self.script(request.attemptId);
      const ref = `${channelId}-${request.attemptId}`;
      switch (s) {
        case 'approve':
          charges.set(request.attemptId, 1);
          return { status: 'approved', channelReference: ref, amountMinor: request.amountMinor, currency: request.currency };
        case 'decline':
          return { status: 'declined', reason: 'do_not_honour', channelReasonCode: '05', channelReference: ref };
        case 'unavailable':
          return { status: 'error', charged: false, error: new ChannelError(channelId, 'channel_unavailable', '503', { charge: 'not_charged' }) };
        case 'timeout_charged':
        case 'query_fails':
          charges.set(request.attemptId, 1);
          return { status: 'ambiguous', error: new ChannelError(channelId, 'channel_timeout', 'timed out', { charge: 'unknown' }) };
        case 'timeout_uncharged':
          return { status: 'ambiguous', error: new ChannelError(channelId, 'channel_timeout', 'timed out', { charge: 'unknown' }) };
        default: {
          const unreachable: never = s;
          throw new Error(String(unreachable));
        }
      }
    },
    async queryStatus(query): Promise<StatusResult> {
      self.queries.push(query.attemptId);
      if (self.script(query.attemptId) === 'query_fails') {
        return { status: 'ambiguous', error: new ChannelError(channelId, 'channel_timeout', 'timed out', { charge: 'unknown' }) };
      }
      if (charges.has(query.attemptId)) return { status: 'approved', channelReference: `${channelId}-${query.attemptId}`, amountMinor: 1n, currency: 'EUR' };
      closed.add(query.attemptId);
      return { status: 'not_found' };
    },
    async refund() {
      throw new Error('not used');
    },
    async verifyNotification() {
      throw new Error('not used');
    },
    notificationAck() {
      throw new Error('not used');
    },
    parseStatement() {
      throw new Error('not used');
    },
  };
  return self;
}
