/**
 * The embedded broker with the embedded schema registry on it, for a test file: closed with the
 * scope. Most processor tests need both and a codec that registers schemas as it meets them.
 */
import { createLogger } from '../../lib/logger.ts';
import { startSchemaRegistry } from '../../ops/embedded/schema-registry/index.ts';
import { AvroCodec } from '../../schemas/codec.ts';
import { startTestBroker, uniqueName, type Scope } from './kafkajs.ts';

export interface BrokerWithRegistry {
  bootstrap: string;
  registryUrl: string;
  /** A registry codec that registers schemas on first use. */
  codec: AvroCodec;
}

export async function startBrokerWithRegistry(scope: Scope): Promise<BrokerWithRegistry> {
  const { bootstrap } = await startTestBroker(scope, { groupInitialRebalanceDelayMs: 0 });
  const registry = await startSchemaRegistry({ kafkaBrokers: [bootstrap], host: '127.0.0.1', port: 0, logger: createLogger({ level: 'silent' }), topic: uniqueName('schemas') });
  scope.defer('close registry', () => registry.close());
  return { bootstrap, registryUrl: registry.url, codec: new AvroCodec({ registryUrl: registry.url, clientId: uniqueName('codec'), autoRegister: true }) };
}
