/**
 * Test schemas for compatibility cases and a tiny Confluent-style HTTP client for tests.
 */
export type FieldSpec = { name: string; type: unknown; default?: unknown };

export function recordSchema(fields: FieldSpec[], name = 'Evolving'): string {
  return JSON.stringify({ type: 'record', name, namespace: 'paystream.test', fields });
}

/** v1 of every evolution case: an id and an amount. */
export const BASE = recordSchema([
  { name: 'id', type: 'string' },
  { name: 'amountMinor', type: 'long' },
]);

/** Evolutions of BASE and what each compatibility level says about them. */
export const EVOLUTIONS: Array<{ what: string; schema: string; backward: boolean; forward: boolean }> = [
  {
    what: 'adding a field with a default',
    schema: recordSchema([{ name: 'id', type: 'string' }, { name: 'amountMinor', type: 'long' }, { name: 'note', type: 'string', default: '' }]),
    backward: true,
    forward: true,
  },
  {
    what: 'adding a field without a default',
    schema: recordSchema([{ name: 'id', type: 'string' }, { name: 'amountMinor', type: 'long' }, { name: 'note', type: 'string' }]),
    backward: false,
    forward: true,
  },
  {
    what: 'removing a field that has no default',
    schema: recordSchema([{ name: 'id', type: 'string' }]),
    backward: true,
    forward: false,
  },
  {
    what: 'changing a field type from long to string',
    schema: recordSchema([{ name: 'id', type: 'string' }, { name: 'amountMinor', type: 'string' }]),
    backward: false,
    forward: false,
  },
  {
    what: 'promoting a field from long to double',
    schema: recordSchema([{ name: 'id', type: 'string' }, { name: 'amountMinor', type: 'double' }]),
    backward: true,
    forward: false,
  },
];

export const LEVEL_EXPECTATIONS = {
  BACKWARD: (e: { backward: boolean; forward: boolean }) => e.backward,
  FORWARD: (e: { backward: boolean; forward: boolean }) => e.forward,
  FULL: (e: { backward: boolean; forward: boolean }) => e.backward && e.forward,
  NONE: () => true,
} as const;

export interface Reply {
  status: number;
  body: unknown;
}

/** One JSON request the way Confluent clients send it. */
export async function call(baseUrl: string, method: string, path: string, body?: unknown): Promise<Reply> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

/**
 * A shared in-memory log for several registry instances. An instance reads the log only when
 * it appends (it reads everything up to and including its own record, as a Kafka consumer
 * would) or when `sync` is called, so tests can make instances lag behind each other.
 */
export class MemoryLogBus {
  readonly records: Array<{ key: string; value: string | null }> = [];

  open(onRecord: (key: string, value: string | null, offset: number) => void): { append(key: string, value: string | null): Promise<void>; close(): Promise<void>; sync(): void } {
    let cursor = 0;
    const sync = (upTo = this.records.length): void => {
      for (; cursor < upTo; cursor++) {
        const r = this.records[cursor];
        if (r !== undefined) onRecord(r.key, r.value, cursor);
      }
    };
    return {
      append: async (key, value) => {
        this.records.push({ key, value });
        sync(this.records.length);
      },
      close: async () => undefined,
      sync: () => sync(),
    };
  }
}
