/**
 * JSON schemas of the payment routes. They validate requests (unknown fields are refused:
 * additionalProperties false, and the app's Ajv does not strip them) and shape responses, and
 * the OpenAPI document is generated from them.
 */
import {
  CUSTOMER_ID_LENGTH_MAX,
  DESCRIPTION_LENGTH_MAX,
  DEVICE_ID_LENGTH_MAX,
  LIST_LIMIT_MAX,
  MERCHANT_ORDER_ID_LENGTH_MAX,
  METADATA_ENTRIES_MAX,
  METADATA_KEY_LENGTH_MAX,
  METADATA_VALUE_LENGTH_MAX,
  REASON_LENGTH_MAX,
  URL_LENGTH_MAX,
} from '../limits.ts';

export const PAYMENT_METHODS = ['card', 'wallet_a', 'wallet_b', 'bank'] as const;
export type PaymentMethodName = (typeof PAYMENT_METHODS)[number];

const amountMinor = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Amount in minor units of the currency (cents for USD); at most the per-currency limit.' } as const;
const currency = { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code from the supported list.' } as const;
const problemRef = { $ref: 'problem#' } as const;

export const problemSchema = {
  $id: 'problem',
  type: 'object',
  description: 'RFC 9457 problem details with a stable code.',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
    requestId: { type: 'string' },
  },
  required: ['type', 'title', 'status', 'detail', 'code', 'requestId'],
  additionalProperties: true,
} as const;

const errorResponses = { 400: problemRef, 401: problemRef, 404: problemRef, 409: problemRef, 413: problemRef, 415: problemRef, 422: problemRef, 429: problemRef, 503: problemRef } as const;

export const createPaymentBody = {
  type: 'object',
  additionalProperties: false,
  required: ['merchantOrderId', 'amountMinor', 'currency', 'method', 'customer'],
  properties: {
    merchantOrderId: { type: 'string', minLength: 1, maxLength: MERCHANT_ORDER_ID_LENGTH_MAX, pattern: '^[\\x21-\\x7e]+$' },
    amountMinor,
    currency,
    method: { type: 'string', enum: PAYMENT_METHODS },
    customer: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'ip', 'deviceId'],
      properties: {
        id: { type: 'string', minLength: 1, maxLength: CUSTOMER_ID_LENGTH_MAX },
        ip: { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] },
        deviceId: { type: 'string', minLength: 1, maxLength: DEVICE_ID_LENGTH_MAX },
      },
    },
    description: { type: 'string', maxLength: DESCRIPTION_LENGTH_MAX },
    metadata: {
      type: 'object',
      maxProperties: METADATA_ENTRIES_MAX,
      propertyNames: { pattern: `^[A-Za-z0-9_.-]{1,${METADATA_KEY_LENGTH_MAX}}$` },
      additionalProperties: { type: 'string', maxLength: METADATA_VALUE_LENGTH_MAX },
    },
    notifyUrl: { type: 'string', maxLength: URL_LENGTH_MAX, pattern: '^https?://[^\\s]+$' },
  },
} as const;

export interface CreatePaymentRequest {
  merchantOrderId: string;
  amountMinor: number;
  currency: string;
  method: PaymentMethodName;
  customer: { id: string; ip: string; deviceId: string };
  description?: string;
  metadata?: Record<string, string>;
  notifyUrl?: string;
}

const accepted = {
  type: 'object',
  additionalProperties: false,
  required: ['paymentId', 'status'],
  properties: { paymentId: { type: 'string' }, status: { type: 'string' }, refundId: { type: 'string' } },
} as const;

export const paymentView = {
  type: 'object',
  additionalProperties: false,
  required: ['paymentId', 'merchantOrderId', 'amountMinor', 'currency', 'method', 'status', 'createdAt'],
  properties: {
    paymentId: { type: 'string' },
    merchantOrderId: { type: 'string' },
    amountMinor: { type: 'integer' },
    currency: { type: 'string' },
    method: { type: 'string' },
    status: { type: 'string', description: 'accepted until the pipeline picks the payment up, then its lifecycle status in lower case (created, routed, risk_approved, in_review, submitted, processing, succeeded, failed, cancelled, expired, refund_pending, partially_refunded, refunded, risk_rejected)' },
    capturedMinor: { type: 'integer' },
    refundedMinor: { type: 'integer' },
    reason: { type: ['string', 'null'], description: 'Why the payment failed, was rejected, cancelled or expired' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const paymentIdParams = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } } as const;

export const createPaymentSchema = {
  summary: 'Create a payment',
  description: 'Requires an Idempotency-Key header. Answers 202 once the command is durably in Kafka.',
  body: createPaymentBody,
  response: { 202: accepted, ...errorResponses },
} as const;

export const getPaymentSchema = {
  summary: 'Read one payment of the calling merchant',
  params: paymentIdParams,
  response: { 200: paymentView, ...errorResponses },
} as const;

export const listPaymentsSchema = {
  summary: 'List the calling merchant’s payments, newest first',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      merchantOrderId: { type: 'string', maxLength: MERCHANT_ORDER_ID_LENGTH_MAX },
      status: { type: 'string', maxLength: 32 },
      limit: { type: 'string', pattern: `^(?:[1-9]|[1-9][0-9]|${LIST_LIMIT_MAX})$` },
      cursor: { type: 'string', maxLength: 200 },
    },
  },
  response: {
    200: { type: 'object', additionalProperties: false, required: ['items', 'nextCursor'], properties: { items: { type: 'array', items: paymentView }, nextCursor: { type: ['string', 'null'] } } },
    ...errorResponses,
  },
} as const;

export const cancelPaymentSchema = {
  summary: 'Ask to cancel a payment before it is submitted to a channel',
  params: paymentIdParams,
  body: { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', maxLength: REASON_LENGTH_MAX } } },
  response: { 202: accepted, ...errorResponses },
} as const;

export const refundPaymentSchema = {
  summary: 'Refund part or all of a payment',
  description: 'Requires an Idempotency-Key header. The refunds of one payment never add up to more than its amount.',
  params: paymentIdParams,
  body: { type: 'object', additionalProperties: false, required: ['amountMinor'], properties: { amountMinor, reason: { type: 'string', maxLength: REASON_LENGTH_MAX } } },
  response: { 202: accepted, ...errorResponses },
} as const;
