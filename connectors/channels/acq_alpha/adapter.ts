/** acq_alpha as a ChannelAdapter: synchronous authorise+capture; no notifications. */
import { settle, unsupported } from '../outcome.ts';
import type { ChannelAdapter, NotificationAck, PaymentResult, RefundResult, StatusResult } from '../types.ts';
import { AlphaClient, type AlphaConfig } from './client.ts';
import { parseAlphaStatement } from './statement.ts';
import { fromPayment, fromRefund, toPaymentBody, toRefundBody } from './transformers.ts';

export type { AlphaConfig } from './client.ts';

export function createAlphaAdapter(config: AlphaConfig): ChannelAdapter {
  const client = new AlphaClient(config);
  return {
    channelId: 'acq_alpha',
    createPayment: (request, options) =>
      settle(async (): Promise<PaymentResult> => {
        const answer = await client.call('POST', '/v2/payments', toPaymentBody(request), options);
        const result = fromPayment(answer.json, request.attemptId);
        // A fresh payment cannot already be refunded; the first answer is replayed as it was.
        return result.status === 'refunded' ? { status: 'approved', channelReference: result.channelReference, amountMinor: result.amountMinor, currency: result.currency } : result;
      }),
    queryStatus: (query, options) =>
      settle(async (): Promise<StatusResult> => {
        const answer = await client.call('GET', `/v2/payments?request_id=${encodeURIComponent(query.attemptId)}`, undefined, options);
        if (answer.statusCode === 404) return { status: 'not_found' };
        return fromPayment(answer.json, query.attemptId);
      }),
    refund: (request, options) =>
      settle(async (): Promise<RefundResult> => {
        const answer = await client.call('POST', '/v2/refunds', toRefundBody(request), options);
        return fromRefund(answer.json, request.refundId);
      }),
    verifyNotification: async () => ({ ok: false, error: unsupported('acq_alpha', 'acq_alpha sends no notifications') }),
    notificationAck: (): NotificationAck => ({ statusCode: 404, contentType: 'application/json', body: '{"error":"acq_alpha sends no notifications"}' }),
    parseStatement: parseAlphaStatement,
  };
}
