/**
 * Channel settings as a file: where each channel is and the credentials to talk to it, one JSON
 * document (mode 0600, secrets in it). The embedded launcher writes one for the sandbox acquirers
 * (`<data dir>/channels.json`); production points CHANNELS_FILE at one from its secret store.
 * Roles that call channels (channel, sweeper) and the API (which verifies their callbacks) read it.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../lib/fs-atomic.ts';
import { PaystreamError } from '../../lib/errors.ts';
import { Secret } from '../../lib/secret.ts';
import { createChannelAdapter, type ChannelConfig } from './index.ts';
import { CHANNEL_IDS, type ChannelAdapter, type ChannelId } from './types.ts';

export const CHANNELS_FILE_NAME = 'channels.json';

type Stored = Record<string, { channelId: ChannelId; config: Record<string, unknown> }>;

/** Secret-typed fields of the channel configs, by name. */
const SECRET_FIELDS = new Set(['secret', 'merchantPrivateKeyPem']);

function reveal(value: unknown): unknown {
  if (value instanceof Secret) return value.reveal();
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'clock').map(([k, v]) => [k, reveal(v)]));
  return value;
}

function seal(value: unknown, key = ''): unknown {
  if (SECRET_FIELDS.has(key) && typeof value === 'string') return new Secret(value);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, seal(v, k)]));
  return value;
}

export function writeChannelSettings(path: string, configs: Readonly<Partial<Record<ChannelId, ChannelConfig>>>): void {
  const stored: Stored = {};
  for (const [id, c] of Object.entries(configs)) if (c !== undefined) stored[id] = { channelId: c.channelId, config: reveal(c.config) as Record<string, unknown> };
  writeFileAtomic(path, `${JSON.stringify(stored, null, 2)}\n`, 0o600);
}

export function readChannelSettings(path: string): Partial<Record<ChannelId, ChannelConfig>> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PaystreamError('channels_file_unreadable', `cannot read the channel settings at ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const stored = JSON.parse(text) as Stored;
  const out: Partial<Record<ChannelId, ChannelConfig>> = {};
  for (const [id, entry] of Object.entries(stored)) {
    if (!(CHANNEL_IDS as readonly string[]).includes(id) || entry.channelId !== id) throw new PaystreamError('channels_file_invalid', `${path}: unknown channel ${id}`);
    out[id as ChannelId] = { channelId: entry.channelId, config: seal(entry.config) } as ChannelConfig;
  }
  return out;
}

export function adaptersFrom(configs: Readonly<Partial<Record<ChannelId, ChannelConfig>>>): Partial<Record<ChannelId, ChannelAdapter>> {
  return Object.fromEntries(Object.entries(configs).flatMap(([id, c]) => (c === undefined ? [] : [[id, createChannelAdapter(c)]])));
}
