/**
 * wallet_b as a ChannelAdapter: creating a trade returns pending with a redirect URL; the end
 * arrives as a signed form notification (answered with the literal body `success`) or by query.
 */
import { failed, malformed, rejected, settle } from '../outcome.ts';
import { ChannelError, type CancelResult, type ChannelAdapter, type NotificationAck, type NotificationVerification, type PaymentResult, type RefundResult, type StatusResult } from '../types.ts';
import { parseLocalDateTime } from '../statement-text.ts';
import { verifiedForm, WALLET_B_OFFSET_MINUTES, WalletBClient, type WalletBConfig } from './client.ts';
import { WALLET_B_NOTIFICATION_BYTES_MAX } from './limits.ts';
import { parseWalletBStatement } from './statement.ts';
import { fromAmount, fromTrade, notificationStatus, toCreateFields, toRefundFields } from './transformers.ts';

export type { WalletBConfig } from './client.ts';

export function createWalletBAdapter(config: WalletBConfig): ChannelAdapter {
  const client = new WalletBClient(config);

  const verify = (rawBody: Buffer | string): NotificationVerification => {
    const body = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
    try {
      if (Buffer.byteLength(body) > WALLET_B_NOTIFICATION_BYTES_MAX) throw malformed('wallet_b', 'notification body too large');
      const f = verifiedForm(config.credentials, body, 'notification');
      if (f.app_id !== config.credentials.appId) throw malformed('wallet_b', 'notification for another app_id');
      const attemptId = f.out_trade_no ?? '';
      const result = fromTrade(f, attemptId);
      const notifyId = f.notify_id;
      const paymentId = f.passback_params;
      if (notifyId === undefined || notifyId === '' || paymentId === undefined || paymentId === '') throw malformed('wallet_b', 'notification lacks ids');
      const currency = f.currency ?? '';
      const occurred = parseLocalDateTime(f.gmt_payment || f.notify_time || '', WALLET_B_OFFSET_MINUTES);
      return {
        ok: true,
        notification: {
          notificationId: notifyId,
          channelId: 'wallet_b',
          paymentId,
          attemptId,
          channelReference: f.trade_no ?? '',
          status: notificationStatus(result),
          amountMinor: fromAmount(f.total_amount, currency, 'total_amount'),
          currency,
          occurredAtMs: occurred ?? client.nowMs(),
        },
      };
    } catch (err) {
      if (err instanceof ChannelError) return { ok: false, error: err };
      throw err;
    }
  };

  return {
    channelId: 'wallet_b',
    createPayment: (request, options) =>
      settle(async (): Promise<PaymentResult> => {
        const answer = await client.call('wallet.trade.create', toCreateFields(request, config.notifyUrl), options);
        if (!answer.ok) return failed(rejected('wallet_b', 200, answer.subCode));
        const f = answer.form;
        if (f.out_trade_no !== request.attemptId) throw malformed('wallet_b', 'answer is for another out_trade_no');
        if (f.trade_no === undefined || f.pay_url === undefined) throw malformed('wallet_b', 'answer lacks trade_no or pay_url');
        return { status: 'pending', channelReference: f.trade_no, payerAction: { kind: 'redirect', value: f.pay_url } };
      }),
    queryStatus: (query, options) =>
      settle(async (): Promise<StatusResult> => {
        const answer = await client.call('wallet.trade.query', { out_trade_no: query.attemptId }, options);
        if (!answer.ok) {
          if (answer.subCode === 'ACQ.TRADE_NOT_EXIST') return { status: 'not_found' };
          return failed(rejected('wallet_b', 200, answer.subCode));
        }
        return fromTrade(answer.form, query.attemptId);
      }),
    cancelPayment: (query, options) =>
      settle(async (): Promise<CancelResult> => {
        const answer = await client.call('wallet.trade.close', { out_trade_no: query.attemptId }, options);
        if (answer.ok) return { status: 'cancelled' };
        // Paid before it could be closed: the trade's state is the answer.
        const trade = await client.call('wallet.trade.query', { out_trade_no: query.attemptId }, options);
        if (!trade.ok) return failed(rejected('wallet_b', 200, answer.subCode));
        const state = fromTrade(trade.form, query.attemptId);
        if (state.status === 'approved' || state.status === 'declined') return state;
        return failed(rejected('wallet_b', 200, answer.subCode));
      }),
    refund: (request, options) =>
      settle(async (): Promise<RefundResult> => {
        const answer = await client.call('wallet.trade.refund', toRefundFields(request), options);
        if (!answer.ok) return { status: 'rejected', channelReasonCode: answer.subCode };
        const f = answer.form;
        if (f.out_request_no !== request.refundId || f.refund_no === undefined) throw malformed('wallet_b', 'refund answer does not match the request');
        return { status: 'refunded', refundReference: f.refund_no, amountMinor: fromAmount(f.refund_fee, request.currency, 'refund_fee'), currency: request.currency };
      }),
    verifyNotification: async (rawBody) => verify(rawBody),
    // The wallet stops retrying only on this exact body (its notification guide).
    notificationAck: (kind): NotificationAck => (kind === 'accepted' ? { statusCode: 200, contentType: 'text/plain', body: 'success' } : { statusCode: 400, contentType: 'text/plain', body: 'fail' }),
    parseStatement: parseWalletBStatement,
  };
}
