/** acq_beta as a ChannelAdapter: synchronous authorise+capture; no notifications. */
import { settle, unsupported } from '../outcome.ts';
import type { ChannelAdapter, NotificationAck, PaymentResult, RefundResult, StatusResult } from '../types.ts';
import { BetaClient, type BetaConfig } from './client.ts';
import { parseBetaStatement } from './statement.ts';
import { fromAuthorisation, fromRefund, toAuthorisationBody, toRefundBody } from './transformers.ts';

export type { BetaConfig } from './client.ts';

export function createBetaAdapter(config: BetaConfig): ChannelAdapter {
  const client = new BetaClient(config);
  return {
    channelId: 'acq_beta',
    createPayment: (request, options) =>
      settle(async (): Promise<PaymentResult> => {
        const answer = await client.call('POST', '/api/authorisations', toAuthorisationBody(request), options);
        const result = fromAuthorisation(answer.json, request.attemptId);
        return result.status === 'refunded' ? { status: 'approved', channelReference: result.channelReference, amountMinor: result.amountMinor, currency: result.currency } : result;
      }),
    queryStatus: (query, options) =>
      settle(async (): Promise<StatusResult> => {
        const answer = await client.call('GET', `/api/authorisations/${encodeURIComponent(query.attemptId)}`, undefined, options);
        if (answer.statusCode === 404) return { status: 'not_found' };
        return fromAuthorisation(answer.json, query.attemptId);
      }),
    refund: (request, options) =>
      settle(async (): Promise<RefundResult> => {
        const answer = await client.call('POST', '/api/refunds', toRefundBody(request), options);
        return fromRefund(answer.json, request.refundId);
      }),
    verifyNotification: async () => ({ ok: false, error: unsupported('acq_beta', 'acq_beta sends no notifications') }),
    notificationAck: (): NotificationAck => ({ statusCode: 404, contentType: 'application/json', body: '{"errorCode":"NO_NOTIFICATIONS"}' }),
    parseStatement: parseBetaStatement,
  };
}
