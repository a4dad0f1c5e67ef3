/**
 * POST /v1/channels/:channel/notifications: a payment channel's callback. Not merchant-signed:
 * the channel's adapter verifies it with that channel's own scheme (connectors/channels), from
 * the raw bytes exactly as received in whatever content type the channel uses. A verified
 * callback is written to channel.notifications (key paymentId, durable before we answer) and
 * acknowledged in the channel's own format; a forged or malformed one is answered with the
 * channel's rejection, written nowhere, and counted. If Kafka is down the answer is 503, so the
 * channel retries later; duplicates are dropped downstream by notificationId.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import type { ChannelAdapter } from '../../connectors/channels/types.ts';
import { traceparentFor, type CommandSink } from '../commands.ts';
import { ApiError } from '../errors.ts';
import { BODY_BYTES_MAX } from '../limits.ts';

export interface ChannelNotificationDeps {
  channels: ReadonlyMap<string, ChannelAdapter>;
  commands: CommandSink;
  nowMs: () => number;
  received: Counter<'channel' | 'outcome'>;
}

const schema = {
  summary: 'A payment channel’s callback, verified with the channel’s own signature scheme',
  params: { type: 'object', additionalProperties: false, required: ['channel'], properties: { channel: { type: 'string', maxLength: 32 } } },
} as const;

function ack(reply: FastifyReply, adapter: ChannelAdapter, kind: 'accepted' | 'rejected'): FastifyReply {
  const answer = adapter.notificationAck(kind);
  return reply.code(answer.statusCode).type(answer.contentType).send(answer.body);
}

export async function registerChannelNotificationRoutes(app: FastifyInstance, deps: ChannelNotificationDeps): Promise<void> {
  // Channels post JSON, forms or anything else: keep every body as raw bytes for the adapter.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_BYTES_MAX }, (request: FastifyRequest, body: Buffer | string, done) => {
    request.rawBody = typeof body === 'string' ? Buffer.from(body) : body;
    done(null, undefined);
  });
  app.post('/:channel/notifications', { schema }, async (request, reply) => {
    const { channel } = request.params as { channel: string };
    const adapter = deps.channels.get(channel);
    if (adapter === undefined) throw new ApiError('not_found', `no channel ${channel}`);
    const verification = await adapter.verifyNotification(request.rawBody ?? Buffer.alloc(0), request.headers);
    if (!verification.ok) {
      deps.received.inc({ channel, outcome: verification.error.code });
      request.log.warn({ channel, code: verification.error.code, reason: verification.error.message }, 'refused a channel notification');
      return ack(reply, adapter, 'rejected');
    }
    await deps.commands.notify({ ...verification.notification, refundId: verification.notification.refundId ?? null, source: 'CALLBACK', receivedAtMs: deps.nowMs() }, traceparentFor(request.headers.traceparent));
    deps.received.inc({ channel, outcome: 'accepted' });
    return ack(reply, adapter, 'accepted');
  });
}
