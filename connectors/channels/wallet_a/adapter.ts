/**
 * wallet_a as a ChannelAdapter: creating an order returns pending with a QR payload; the end
 * arrives as a signed JSON callback (answered 200 `{"code":"SUCCESS"}`) or by status query.
 */
import { badSignature, malformed, settle } from '../outcome.ts';
import { incomingHeader } from '../http.ts';
import { ChannelError, type CancelResult, type ChannelAdapter, type NotificationAck, type NotificationVerification, type PaymentResult, type RefundResult, type StatusResult } from '../types.ts';
import { parseJsonObject, verifyWalletASignature, WalletAClient, type WalletAConfig } from './client.ts';
import { WALLET_A_NOTIFICATION_BYTES_MAX } from './limits.ts';
import { parseWalletAStatement } from './statement.ts';
import { fromAmount, fromCreated, fromOrder, fromRefund, notificationStatus, toOrderBody, toRefundBody, tradeState } from './transformers.ts';

export type { WalletAConfig } from './client.ts';

export function createWalletAAdapter(config: WalletAConfig): ChannelAdapter {
  const client = new WalletAClient(config);

  const verify = (rawBody: Buffer | string, headers: Record<string, string | string[] | undefined>): NotificationVerification => {
    const body = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
    if (Buffer.byteLength(body) > WALLET_A_NOTIFICATION_BYTES_MAX) return { ok: false, error: malformed('wallet_a', 'callback body too large') };
    const parts = { keyId: incomingHeader(headers, 'wallet-key-id'), timestamp: incomingHeader(headers, 'wallet-timestamp'), nonce: incomingHeader(headers, 'wallet-nonce'), signature: incomingHeader(headers, 'wallet-signature') };
    if (!verifyWalletASignature(config.credentials, parts, body, client.nowMs())) return { ok: false, error: badSignature('wallet_a', 'callback signature does not verify') };
    try {
      const j = parseJsonObject(body, 'callback');
      const resource = (j.resource ?? {}) as Record<string, unknown>;
      const amount = (resource.amount ?? {}) as Record<string, unknown>;
      const id = j.id;
      const attemptId = resource.out_trade_no;
      const paymentId = resource.merchant_ref;
      const reference = resource.transaction_id ?? resource.prepay_id;
      if (typeof id !== 'string' || typeof attemptId !== 'string' || typeof paymentId !== 'string' || typeof reference !== 'string') throw malformed('wallet_a', 'callback lacks ids');
      const successTime = typeof resource.success_time === 'string' ? Date.parse(resource.success_time) : NaN;
      const createTime = typeof j.create_time === 'string' ? Date.parse(j.create_time) : NaN;
      return {
        ok: true,
        notification: {
          notificationId: id,
          channelId: 'wallet_a',
          paymentId,
          attemptId,
          channelReference: reference,
          status: notificationStatus(tradeState(resource.trade_state)),
          amountMinor: fromAmount(amount.total, 'amount.total'),
          currency: typeof amount.currency === 'string' ? amount.currency : null,
          occurredAtMs: Number.isNaN(successTime) ? (Number.isNaN(createTime) ? client.nowMs() : createTime) : successTime,
        },
      };
    } catch (err) {
      if (err instanceof ChannelError) return { ok: false, error: err };
      throw err;
    }
  };

  return {
    channelId: 'wallet_a',
    createPayment: (request, options) =>
      settle(async (): Promise<PaymentResult> => {
        const answer = await client.call('POST', '/v3/orders', toOrderBody(request, config.notifyUrl), options);
        return fromCreated(answer.json, request.attemptId);
      }),
    queryStatus: (query, options) =>
      settle(async (): Promise<StatusResult> => {
        const answer = await client.call('GET', `/v3/orders/out-trade-no/${encodeURIComponent(query.attemptId)}`, undefined, options);
        if (answer.statusCode === 404) return { status: 'not_found' };
        return fromOrder(answer.json, query.attemptId);
      }),
    cancelPayment: (query, options) =>
      settle(async (): Promise<CancelResult> => {
        try {
          await client.call('POST', `/v3/orders/out-trade-no/${encodeURIComponent(query.attemptId)}/close`, '{}', options);
          return { status: 'cancelled' };
        } catch (err) {
          // Paid before it could be closed: the payment's state is the answer.
          if (!(err instanceof ChannelError) || err.code !== 'invalid_request') throw err;
          const answer = await client.call('GET', `/v3/orders/out-trade-no/${encodeURIComponent(query.attemptId)}`, undefined, options);
          const state = fromOrder(answer.json, query.attemptId);
          if (state.status === 'approved' || state.status === 'declined') return state;
          throw err;
        }
      }),
    refund: (request, options) =>
      settle(async (): Promise<RefundResult> => {
        const answer = await client.call('POST', '/v3/refunds', toRefundBody(request), options);
        return fromRefund(answer.json, request.refundId);
      }),
    verifyNotification: async (rawBody, headers) => verify(rawBody, headers),
    notificationAck: (kind): NotificationAck =>
      kind === 'accepted'
        ? { statusCode: 200, contentType: 'application/json', body: '{"code":"SUCCESS"}' }
        : { statusCode: 400, contentType: 'application/json', body: '{"code":"FAIL","message":"rejected"}' },
    parseStatement: parseWalletAStatement,
  };
}
