/**
 * Avro values in the Confluent wire format, on @kafkajs/confluent-schema-registry:
 *
 *   byte 0      magic byte, always 0
 *   bytes 1-4   schema id, big-endian int32, as the registry assigned it
 *   bytes 5-    the Avro binary encoding of the value with that schema
 *
 * (https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format)
 *
 * Encoding uses our own schema for the topic, registered (or looked up) under `<topic>-value`
 * once and then cached. Decoding reads with the writer's schema fetched by id (cached by the
 * registry client) and resolves into our schema, so a record written by an older or newer
 * producer arrives in the shape of our TypeScript types. Every failure is a CodecError with a
 * stable code; the runtime dead-letters on the non-retriable ones.
 */
import SchemaRegistryModule from '@kafkajs/confluent-schema-registry';
// Not re-exported by the package index; the package has no "exports" map, so the file is public.
import registryErrors from '@kafkajs/confluent-schema-registry/dist/errors.js';
import type { Type } from 'avsc';
import { PaystreamError } from '../lib/errors.ts';
import { avroTypeOptions } from './avro.ts';
import { AVRO_TOPICS, valueSubject, type AvroTopic, type TopicValue } from './catalogue.ts';
import { schemaText, schemaType } from './schema-files.ts';
import type { SchemaName, ValueTypes } from './types.ts';

const { SchemaRegistry, SchemaType } = SchemaRegistryModule;
type Registry = InstanceType<typeof SchemaRegistry>;

export const MAGIC_BYTE = 0;
export const HEADER_BYTES = 5;
/** Resolvers cached per (writer id, reader schema); far above the schemas one process meets. */
export const RESOLVERS_CACHED_MAX = 1_000;
/** Registry HTTP retries per call; the runtime retries whole records on top of this. */
export const REGISTRY_RETRIES = 2;
export const REGISTRY_RETRY_INITIAL_S = 0.1;
export const REGISTRY_RETRY_MAX_S = 1;

export type CodecErrorCode =
  /** The bytes name a schema id the registry does not know. */
  | 'schema_unknown'
  /** The first byte is not the Confluent magic byte 0. */
  | 'bad_magic'
  /** Too short for the header, or the Avro body does not decode with the writer's schema. */
  | 'malformed'
  /** The writer's schema cannot be read as ours (incompatible evolution). */
  | 'schema_incompatible'
  /** The value to encode does not fit the schema; `paths` says where. */
  | 'invalid_value'
  /** The registry refused to register our schema (e.g. incompatible with the subject). */
  | 'schema_rejected'
  /** The registry could not be reached or failed; retrying may help. */
  | 'registry_unavailable';

export class CodecError extends PaystreamError<CodecErrorCode> {
  readonly schemaId: number | undefined;
  readonly paths: readonly string[];

  constructor(code: CodecErrorCode, message: string, options: { schemaId?: number; paths?: string[]; cause?: unknown } = {}) {
    super(code, message, { retriable: code === 'registry_unavailable', cause: options.cause });
    this.name = 'CodecError';
    this.schemaId = options.schemaId;
    this.paths = options.paths ?? [];
  }
}

export interface CodecOptions {
  /** SCHEMA_REGISTRY_URL, or the embedded registry's url. */
  registryUrl: string;
  clientId: string;
  /**
   * Register our schema when the subject does not have it yet. Off in production, where
   * schemas are registered ahead of deploys and producers only look ids up.
   */
  autoRegister: boolean;
}

/** The HTTP status of a registry client error (mappersmith's ResponseError carries `status`). */
function httpStatus(err: unknown): number | undefined {
  const status = typeof err === 'object' && err !== null ? (err as { status?: unknown }).status : undefined;
  return typeof status === 'number' ? status : undefined;
}

export class AvroCodec {
  private readonly registry: Registry;
  private readonly ids = new Map<string, Promise<number>>();
  private readonly resolvers = new Map<string, ReturnType<Type['createResolver']>>();

  constructor(private readonly options: CodecOptions) {
    this.registry = new SchemaRegistry(
      { host: options.registryUrl, clientId: options.clientId, retry: { retries: REGISTRY_RETRIES, initialRetryTimeInSecs: REGISTRY_RETRY_INITIAL_S, maxRetryTimeInSecs: REGISTRY_RETRY_MAX_S } },
      { [SchemaType.AVRO]: avroTypeOptions() },
    );
  }

  /** The registry id of our schema `name` under `<topic>-value`, looked up (or registered) once. */
  schemaId(topic: string, name: SchemaName): Promise<number> {
    const cacheKey = `${topic}\u0000${name}`;
    let id = this.ids.get(cacheKey);
    if (id === undefined) {
      id = this.resolveId(valueSubject(topic), name);
      // A failed lookup is not cached, so the next record tries again.
      id.catch(() => this.ids.delete(cacheKey));
      this.ids.set(cacheKey, id);
    }
    return id;
  }

  private async resolveId(subject: string, name: SchemaName): Promise<number> {
    const schema = { type: SchemaType.AVRO, schema: schemaText(name) } as const;
    try {
      return await this.registry.getRegistryIdBySchema(subject, schema);
    } catch (err) {
      // The client turns a lookup's 404 (subject or schema not found) into this error class and
      // rethrows every other failure as it came.
      const notThere = err instanceof registryErrors.ConfluentSchemaRegistryError;
      if (!notThere) throw new CodecError('registry_unavailable', `could not look up ${name} under ${subject}`, { cause: err });
      if (!this.options.autoRegister) throw new CodecError('schema_rejected', `${name} is not registered under ${subject} and auto-registration is off`, { cause: err });
    }
    try {
      const { id } = await this.registry.register(schema, { subject });
      return id;
    } catch (err) {
      // 4xx: incompatible or invalid; the client's own errors: the subject's level differs from
      // the BACKWARD the client insists on when registering.
      const status = httpStatus(err);
      if ((status !== undefined && status >= 400 && status < 500) || err instanceof registryErrors.ConfluentSchemaRegistryError) throw new CodecError('schema_rejected', `the registry refused ${name} under ${subject}`, { cause: err });
      throw new CodecError('registry_unavailable', `could not register ${name} under ${subject}`, { cause: err });
    }
  }

  async encode<N extends SchemaName>(topic: string, name: N, value: ValueTypes[N]): Promise<Buffer> {
    const type = schemaType(name);
    const paths: string[] = [];
    if (!type.isValid(value, { errorHook: (path) => paths.push(path.join('.') || '(root)') })) {
      throw new CodecError('invalid_value', `value does not match ${name} at ${paths.join(', ')}`, { paths });
    }
    const id = await this.schemaId(topic, name);
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt8(MAGIC_BYTE, 0);
    header.writeInt32BE(id, 1);
    return Buffer.concat([header, type.toBuffer(value)]);
  }

  /** Decodes Confluent-framed bytes written with any registered schema into our schema `name`. */
  async decode<N extends SchemaName>(name: N, bytes: Buffer): Promise<ValueTypes[N]> {
    if (bytes.length < HEADER_BYTES) throw new CodecError('malformed', `${bytes.length} bytes is shorter than the ${HEADER_BYTES}-byte header`);
    const magic = bytes.readUInt8(0);
    if (magic !== MAGIC_BYTE) throw new CodecError('bad_magic', `magic byte ${magic}, expected ${MAGIC_BYTE}`);
    const id = bytes.readInt32BE(1);
    const reader = schemaType(name);
    const resolver = await this.resolver(id, name, reader);
    try {
      return reader.fromBuffer(bytes.subarray(HEADER_BYTES), resolver) as ValueTypes[N];
    } catch (err) {
      // avsc reports truncated bodies, trailing bytes and bad varints as plain Errors.
      throw new CodecError('malformed', `bytes do not decode with schema ${id}`, { schemaId: id, cause: err });
    }
  }

  private async resolver(id: number, name: SchemaName, reader: Type): Promise<ReturnType<Type['createResolver']>> {
    const key = `${id}\u0000${name}`;
    const cached = this.resolvers.get(key);
    if (cached !== undefined) return cached;
    let writer: Type;
    try {
      writer = (await this.registry.getSchema(id)) as unknown as Type;
    } catch (err) {
      if (httpStatus(err) === 404) throw new CodecError('schema_unknown', `schema id ${id} is not in the registry`, { schemaId: id, cause: err });
      throw new CodecError('registry_unavailable', `could not fetch schema id ${id}`, { schemaId: id, cause: err });
    }
    let resolver;
    try {
      resolver = reader.createResolver(writer);
    } catch (err) {
      throw new CodecError('schema_incompatible', `schema id ${id} cannot be read as ${name}`, { schemaId: id, cause: err });
    }
    if (this.resolvers.size >= RESOLVERS_CACHED_MAX) this.resolvers.clear();
    this.resolvers.set(key, resolver);
    return resolver;
  }
}

/** Encoder and decoder of one value schema, in the shape the stream runtime takes. */
export interface ValueCodec<V> {
  decode(bytes: Buffer, topic: string): Promise<V>;
  encode(value: V, topic: string): Promise<Buffer>;
}

/** A codec for values of schema `name` on whatever topic the runtime passes. */
export function valueCodec<N extends SchemaName>(codec: AvroCodec, name: N): ValueCodec<ValueTypes[N]> {
  return {
    decode: (bytes) => codec.decode(name, bytes),
    encode: (value, topic) => codec.encode(topic, name, value),
  };
}

/** A codec for one catalogue topic, typed by the catalogue: `topicCodec(codec, 'payments.commands')`. */
export function topicCodec<T extends AvroTopic>(codec: AvroCodec, topic: T): { decode(bytes: Buffer): Promise<TopicValue<T>>; encode(value: TopicValue<T>): Promise<Buffer> } {
  const name: SchemaName = AVRO_TOPICS[topic];
  return {
    decode: async (bytes) => (await codec.decode(name, bytes)) as TopicValue<T>,
    encode: (value) => codec.encode(topic, name, value as ValueTypes[typeof name]),
  };
}
