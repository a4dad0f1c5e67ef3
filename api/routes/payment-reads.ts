/**
 * GET /v1/payments/:id and GET /v1/payments, scoped to the calling merchant: another merchant's
 * payment is a 404, exactly like one that does not exist.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';
import { LIST_LIMIT_DEFAULT } from '../limits.ts';
import { merchantOf } from '../plugins/auth.ts';
import type { PaymentRepository } from '../payments/repository.ts';
import { getPaymentSchema, listPaymentsSchema } from '../payments/schemas.ts';

interface ListQuery {
  merchantOrderId?: string;
  status?: string;
  limit?: string;
  cursor?: string;
}

function encodeCursor(createdAt: string, paymentId: string): string {
  return Buffer.from(JSON.stringify([createdAt, paymentId])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; paymentId: string } {
  const invalid = () => new ApiError('invalid_request', 'the cursor is not one this API returned');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (err) {
    if (err instanceof SyntaxError) throw invalid();
    throw err;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string' || Number.isNaN(Date.parse(parsed[0]))) throw invalid();
  return { createdAt: parsed[0], paymentId: parsed[1] };
}

export async function registerPaymentReadRoutes(app: FastifyInstance, deps: { payments: PaymentRepository }): Promise<void> {
  app.get('/payments/:id', { schema: getPaymentSchema }, async (request) => {
    const { id } = request.params as { id: string };
    const payment = await deps.payments.find(merchantOf(request).merchantId, id);
    if (payment === undefined) throw new ApiError('payment_not_found', `no payment ${id}`);
    return payment;
  });

  app.get('/payments', { schema: listPaymentsSchema }, async (request) => {
    const query = request.query as ListQuery;
    const limit = query.limit === undefined ? LIST_LIMIT_DEFAULT : Number(query.limit);
    const items = await deps.payments.list(merchantOf(request).merchantId, {
      ...(query.merchantOrderId === undefined ? {} : { merchantOrderId: query.merchantOrderId }),
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.cursor === undefined ? {} : { after: decodeCursor(query.cursor) }),
      limit,
    });
    const last = items.at(-1);
    return { items, nextCursor: items.length === limit && last !== undefined ? encodeCursor(last.createdAt, last.paymentId) : null };
  });
}
