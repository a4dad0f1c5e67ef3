/**
 * paystream's notifications endpoint in miniature, for adapter tests: raw body in, the
 * adapter verifies it and answers with its own acknowledgement. Records every delivery.
 */
import Fastify from 'fastify';
import type { ChannelAdapter, NotificationVerification } from '../types.ts';

export interface ReceivedCallback {
  verification: NotificationVerification;
  raw: string;
}

export interface NotificationReceiver {
  url: string;
  received: ReceivedCallback[];
  /** Answer `rejected` to the next N callbacks (as if our side failed to persist them). */
  rejectNext: number;
  close(): Promise<void>;
}

/** `adapter` is read per callback, so the adapter may be built after the receiver (it needs the receiver's URL). */
export async function startNotificationReceiver(adapter: () => ChannelAdapter): Promise<NotificationReceiver> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const receiver: NotificationReceiver = { url: '', received: [], rejectNext: 0, close: () => app.close() };
  app.post('/notify', async (req, reply) => {
    const raw = typeof req.body === 'string' ? req.body : '';
    const verification = await adapter().verifyNotification(raw, req.headers);
    receiver.received.push({ verification, raw });
    let kind: 'accepted' | 'rejected' = verification.ok ? 'accepted' : 'rejected';
    if (kind === 'accepted' && receiver.rejectNext > 0) {
      receiver.rejectNext -= 1;
      kind = 'rejected';
    }
    const ack = adapter().notificationAck(kind);
    return reply.code(ack.statusCode).type(ack.contentType).send(ack.body);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  receiver.url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/notify`;
  return receiver;
}
