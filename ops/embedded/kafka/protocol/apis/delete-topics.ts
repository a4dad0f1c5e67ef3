/**
 * DeleteTopics (key 20) v0. https://kafka.apache.org/protocol#The_Messages_DeleteTopics
 *
 * A missing topic answers 3 (spec §8). The v0 response has no throttle time.
 */
import { readString, type Reader, type Writer, writeString } from '../primitives.ts';

export const API_KEY = 20;
export const VERSION = 0;

export interface DeleteTopicsRequest {
  topicNames: string[];
  timeoutMs: number;
}

export interface DeletableTopicResult {
  name: string;
  errorCode: number;
}

export interface DeleteTopicsResponse {
  responses: DeletableTopicResult[];
}

export function decodeDeleteTopicsRequest(r: Reader): DeleteTopicsRequest {
  const topicNames = r.array(readString);
  const timeoutMs = r.int32();
  return { topicNames, timeoutMs };
}

export function encodeDeleteTopicsRequest(w: Writer, req: DeleteTopicsRequest): void {
  w.array(req.topicNames, writeString).int32(req.timeoutMs);
}

export function encodeDeleteTopicsResponse(w: Writer, res: DeleteTopicsResponse): void {
  w.array(res.responses, (w2, t) => {
    w2.string(t.name).int16(t.errorCode);
  });
}

export function decodeDeleteTopicsResponse(r: Reader): DeleteTopicsResponse {
  return { responses: r.array((r2) => ({ name: r2.string(), errorCode: r2.int16() })) };
}
