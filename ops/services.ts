/**
 * Where a role finds its services: the configured URLs (DATABASE_URL, REDIS_URL, KAFKA_BROKERS,
 * SCHEMA_REGISTRY_URL) or, for any left unset, the endpoints a running `paystream up` published
 * in the data directory. Every role resolves them here, so they all agree.
 */
import type { Config } from '../lib/config.ts';
import { PaystreamError } from '../lib/errors.ts';
import { Secret } from '../lib/secret.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CHANNELS_FILE_NAME, adaptersFrom, readChannelSettings } from '../connectors/channels/settings.ts';
import type { ChannelAdapter, ChannelId } from '../connectors/channels/types.ts';
import { readEndpoints } from './embedded/launcher.ts';

export interface ServiceEndpoints {
  databaseUrl: Secret;
  redisUrl: Secret;
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  /** Embedded services register schemas on first use; production registers them ahead of deploys. */
  embeddedRegistry: boolean;
}

export function resolveServices(config: Readonly<Config>): ServiceEndpoints {
  const running = readEndpoints(config.dataDir)?.services;
  const need = (what: string, value: string | undefined): string => {
    if (value === undefined) throw new PaystreamError('no_endpoint', `${what} is not set and no \`paystream up\` is running on ${config.dataDir}`);
    return value;
  };
  return {
    databaseUrl: config.databaseUrl ?? new Secret(need('DATABASE_URL', running?.postgres?.url)),
    redisUrl: config.redisUrl ?? new Secret(need('REDIS_URL', running?.redis?.url)),
    kafkaBrokers: config.kafkaBrokers?.map((b) => `${b.host}:${b.port}`) ?? need('KAFKA_BROKERS', running?.kafka?.url).split(','),
    schemaRegistryUrl: config.schemaRegistryUrl ?? need('SCHEMA_REGISTRY_URL', running?.schemaRegistry?.url),
    embeddedRegistry: config.schemaRegistryUrl === undefined,
  };
}

/**
 * The channel adapters a role calls channels through: CHANNELS_FILE, or the sandbox acquirers'
 * settings a running `paystream up` wrote; none when neither exists (a role that needs channels
 * then says so).
 */
export function resolveChannels(config: Readonly<Config>): Partial<Record<ChannelId, ChannelAdapter>> {
  const path = config.channelsFile ?? join(config.dataDir, CHANNELS_FILE_NAME);
  if (config.channelsFile === undefined && !existsSync(path)) return {};
  return adaptersFrom(readChannelSettings(path));
}
