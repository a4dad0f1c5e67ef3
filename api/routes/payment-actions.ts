/**
 * Cancel and refund become commands on payments.commands, like creation. Whether a cancel is
 * still possible (not yet submitted to a channel) is decided by the result processor, which owns
 * the state machine; the API checks what it can know: the payment exists for this merchant, was
 * captured, and refunds never add up to more than what was captured.
 */
import type { FastifyInstance } from 'fastify';
import { traceparentFor } from '../commands.ts';
import { ApiError } from '../errors.ts';
import { commandIdFor, refundIdFor } from '../ids.ts';
import { merchantOf } from '../plugins/auth.ts';
import { cancelPaymentSchema, refundPaymentSchema } from '../payments/schemas.ts';
import { idempotent, type PaymentRouteDeps } from './payments.ts';

export async function registerPaymentActionRoutes(app: FastifyInstance, deps: PaymentRouteDeps): Promise<void> {
  app.post(
    '/payments/:id/cancel',
    {
      schema: cancelPaymentSchema,
      // A cancel needs no body: a bodyless POST reads as {} (an empty JSON body is still refused).
      preValidation: async (request) => {
        if (request.body === undefined && request.rawBody === undefined) request.body = {};
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const { reason } = (request.body ?? {}) as { reason?: string };
      const merchant = merchantOf(request);
      const payment = await deps.payments.find(merchant.merchantId, id);
      if (payment === undefined) throw new ApiError('payment_not_found', `no payment ${id}`);
      // One cancel command per payment (its id is derived), so repeating a cancel is harmless.
      await deps.commands.send(
        { commandId: commandIdFor('cancel', id), paymentId: id, merchantId: merchant.merchantId, issuedAtMs: deps.nowMs(), body: { 'paystream.CancelPayment': { reason: reason ?? 'merchant_request' } } },
        traceparentFor(request.headers.traceparent),
      );
      return reply.code(202).send({ paymentId: id, status: 'cancel_requested' });
    },
  );

  app.post('/payments/:id/refunds', { schema: refundPaymentSchema, config: { idempotent: true } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const body = request.body as { amountMinor: number; reason?: string };
    const merchant = merchantOf(request);
    return idempotent(deps, request, reply, async (key) => {
      const refundId = refundIdFor(merchant.merchantId, id, key);
      const reason = body.reason ?? 'merchant_request';
      const outcome = await deps.payments.refundAndProduce(merchant.merchantId, id, { refundId, amountMinor: body.amountMinor, reason }, (payment) =>
        deps.commands.send(
          {
            commandId: commandIdFor('refund', refundId),
            paymentId: id,
            merchantId: merchant.merchantId,
            issuedAtMs: deps.nowMs(),
            body: { 'paystream.RefundPayment': { refundId, amountMinor: BigInt(body.amountMinor), currency: payment.currency, reason } },
          },
          traceparentFor(request.headers.traceparent),
        ),
      );
      switch (outcome.kind) {
        case 'inserted':
        case 'exists':
          return { status: 202, body: { paymentId: id, refundId, status: 'refund_requested' } };
        case 'not_found':
          throw new ApiError('payment_not_found', `no payment ${id}`);
        case 'not_captured':
          throw new ApiError('payment_not_captured', `payment ${id} is ${outcome.status}; only a captured payment can be refunded`, { extensions: { paymentStatus: outcome.status } });
        case 'exceeds':
          throw new ApiError('refund_exceeds_captured', `at most ${outcome.refundableMinor} minor units of this payment can still be refunded`, { extensions: { refundableMinor: outcome.refundableMinor } });
        default:
          return outcome satisfies never;
      }
    });
  });
}
