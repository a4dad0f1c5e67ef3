/**
 * The merchant payment routes under /v1 (authenticated and rate-limited by the scope's hooks).
 * Each reads validate → load → decide → persist → emit: the schema and the checks below (the
 * Idempotency-Key was locked at admission), then the accepted row and the Kafka command in one step.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PaymentCommand, PaymentMethod } from '../../schemas/types.ts';
import { currencySpec } from '../currencies.ts';
import { ApiError } from '../errors.ts';
import { commandIdFor, paymentIdFor } from '../ids.ts';
import type { IdempotencyStore, StoredResponse } from '../idempotency.ts';
import { merchantOf } from '../plugins/auth.ts';
import { createPaymentSchema, type CreatePaymentRequest, type PaymentMethodName } from '../payments/schemas.ts';
import type { PaymentRepository } from '../payments/repository.ts';
import type { AcceptBatcher } from '../payments/accept-batcher.ts';
import { traceparentFor, type CommandSink } from '../commands.ts';

export interface PaymentRouteDeps {
  payments: PaymentRepository;
  /** Group commit of new payments with their commands. */
  accepts: AcceptBatcher;
  idempotency: IdempotencyStore;
  commands: CommandSink;
  nowMs: () => number;
}

const AVRO_METHOD: Record<PaymentMethodName, PaymentMethod> = { card: 'CARD', wallet_a: 'WALLET_A', wallet_b: 'WALLET_B', bank: 'BANK' };

function checkBusinessRules(body: CreatePaymentRequest): void {
  const spec = currencySpec(body.currency);
  if (spec === undefined) throw new ApiError('currency_unsupported', `${body.currency} is not a supported currency`);
  if (body.amountMinor > spec.amountMinorMax) throw new ApiError('amount_above_limit', `amountMinor is at most ${spec.amountMinorMax} for ${body.currency}`, { extensions: { amountMinorMax: spec.amountMinorMax } });
}

function createCommand(merchantId: string, paymentId: string, idempotencyKey: string, body: CreatePaymentRequest, nowMs: number): PaymentCommand {
  return {
    commandId: commandIdFor('create', paymentId),
    paymentId,
    merchantId,
    issuedAtMs: nowMs,
    body: {
      'paystream.CreatePayment': {
        amountMinor: BigInt(body.amountMinor),
        currency: body.currency,
        method: AVRO_METHOD[body.method],
        merchantReference: body.merchantOrderId,
        idempotencyKey,
        customer: { id: body.customer.id, ip: body.customer.ip, deviceId: body.customer.deviceId },
        customerCountry: null,
        description: body.description ?? null,
        notifyUrl: body.notifyUrl ?? null,
        metadata: body.metadata ?? {},
      },
    },
  };
}

/**
 * Runs `work` under the Idempotency-Key lock admission took for this request (plugins/admission.ts;
 * a stored response was replayed there): a 202 is stored for IDEMPOTENCY_TTL_S in place of the
 * lock. A failure leaves the lock to admission's onSend hook, which releases it before the answer.
 */
export async function idempotent(
  deps: Pick<PaymentRouteDeps, 'idempotency'>,
  request: FastifyRequest,
  reply: FastifyReply,
  work: (key: string) => Promise<StoredResponse>,
): Promise<FastifyReply> {
  const lock = request.idempotencyLock;
  if (lock === undefined) throw new ApiError('internal', 'an idempotent route was reached without its Idempotency-Key lock');
  const response = await work(lock.key);
  // The command is durable now: if Redis fails at this last step the merchant still gets the 202;
  // a retry then finds the accepted row by its derived id and is answered the same.
  await deps.idempotency.complete(lock, response).catch((err: unknown) => request.log.warn({ err }, 'could not store an idempotent response'));
  return reply.code(response.status).send(response.body);
}

export async function registerPaymentRoutes(app: FastifyInstance, deps: PaymentRouteDeps): Promise<void> {
  app.post('/payments', { schema: createPaymentSchema, config: { idempotent: true } }, async (request, reply) => {
    const body = request.body as CreatePaymentRequest;
    const merchant = merchantOf(request);
    checkBusinessRules(body);
    return idempotent(deps, request, reply, async (key) => {
      const paymentId = paymentIdFor(merchant.merchantId, key);
      const command = createCommand(merchant.merchantId, paymentId, key, body, deps.nowMs());
      const outcome = await deps.accepts.accept(
        { paymentId, merchantId: merchant.merchantId, merchantOrderId: body.merchantOrderId, amountMinor: body.amountMinor, currency: body.currency, method: body.method, requestDigest: request.bodyDigest },
        () => deps.commands.send(command, traceparentFor(request.headers.traceparent)),
      );
      switch (outcome.kind) {
        case 'inserted':
        case 'same_payment':
          return { status: 202, body: { paymentId, status: 'accepted' } };
        case 'key_reused':
          throw new ApiError('idempotency_key_reuse', 'this Idempotency-Key was already used for another payment');
        case 'duplicate_order':
          throw new ApiError('duplicate_merchant_order', `merchantOrderId ${body.merchantOrderId} already belongs to payment ${outcome.paymentId}`, { extensions: { paymentId: outcome.paymentId } });
        default:
          return outcome satisfies never;
      }
    });
  });
}
