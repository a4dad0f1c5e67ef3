/**
 * The shape every API handler has: decode the request body with its codec, act on the broker,
 * encode the response body. One handler serves exactly one API version, the advertised max
 * (spec §1 "Version choice"); the dispatcher refuses every other version before decoding.
 */
import type { Logger } from 'pino';
import { type Reader, Writer } from '../protocol/primitives.ts';
import type { RequestHeader } from '../protocol/header.ts';
import type { ConnectionInfo } from '../server.ts';
import type { Broker } from '../broker.ts';

export interface RequestContext {
  readonly broker: Broker;
  readonly header: RequestHeader;
  readonly connection: ConnectionInfo;
  readonly logger: Logger;
}

/** Returned by a handler that must not answer (Produce with acks=0, spec §1). */
export const NO_RESPONSE = Symbol('no response');

export interface ApiHandler {
  readonly apiKey: number;
  readonly version: number;
  /** Metric label and log field. */
  readonly name: string;
  /** Decodes the body after the request header and answers with the encoded body, or NO_RESPONSE. */
  run(ctx: RequestContext, body: Reader): Promise<Buffer | typeof NO_RESPONSE>;
}

export interface HandlerDefinition<Req, Res> {
  apiKey: number;
  version: number;
  name: string;
  decode(r: Reader): Req;
  encode(w: Writer, res: Res): void;
  handle(ctx: RequestContext, req: Req): Res | typeof NO_RESPONSE | Promise<Res | typeof NO_RESPONSE>;
}

export function defineHandler<Req, Res>(def: HandlerDefinition<Req, Res>): ApiHandler {
  return {
    apiKey: def.apiKey,
    version: def.version,
    name: def.name,
    async run(ctx, body) {
      const req = def.decode(body);
      const res = await def.handle(ctx, req);
      if (res === NO_RESPONSE) return NO_RESPONSE;
      const w = new Writer();
      def.encode(w, res);
      return w.finish();
    },
  };
}
