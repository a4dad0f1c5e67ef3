/**
 * A channel executor in its own process, for tests that SIGKILL it mid-call. Talks to one
 * acquirer (acq_alpha); its address and key come in as arguments, the key's secret in
 * EXECUTOR_ALPHA_SECRET. Prints `executor running` (as a JSON log line) once it consumes.
 */
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { createKafka } from '../../../lib/kafka.ts';
import { createLogger } from '../../../lib/logger.ts';
import { Secret } from '../../../lib/secret.ts';
import { AvroCodec, valueCodec } from '../../../schemas/codec.ts';
import { createChannelAdapter } from '../../../connectors/channels/index.ts';
import { createChannelExecutor } from '../processor.ts';

const { values } = parseArgs({
  options: {
    bootstrap: { type: 'string' },
    registry: { type: 'string' },
    input: { type: 'string' },
    attempts: { type: 'string' },
    switches: { type: 'string' },
    name: { type: 'string' },
    'alpha-url': { type: 'string' },
    'alpha-key-id': { type: 'string' },
  },
});
const need = (v: string | undefined, what: string): string => {
  if (v === undefined) throw new Error(`--${what} is required`);
  return v;
};
const secret = need(process.env.EXECUTOR_ALPHA_SECRET, 'EXECUTOR_ALPHA_SECRET');
const logger = createLogger({ level: 'info' });
const codec = new AvroCodec({ registryUrl: need(values.registry, 'registry'), clientId: 'executor-child', autoRegister: true });
const executor = createChannelExecutor({
  name: need(values.name, 'name'),
  kafka: createKafka({ brokers: [need(values.bootstrap, 'bootstrap')], clientId: 'executor-child', logger }),
  inputTopic: need(values.input, 'input'),
  attemptsTopic: need(values.attempts, 'attempts'),
  switchesTopic: need(values.switches, 'switches'),
  decoder: valueCodec(codec, 'PaymentAssessed'),
  encoder: valueCodec(codec, 'PaymentAttempt'),
  switchDecoder: valueCodec(codec, 'ChannelSwitch'),
  adapters: {
    acq_alpha: createChannelAdapter({
      channelId: 'acq_alpha',
      config: { baseUrl: need(values['alpha-url'], 'alpha-url'), timeoutMs: 5_000, credentials: { keyId: need(values['alpha-key-id'], 'alpha-key-id'), secret: new Secret(secret) } },
    }),
  },
  logger,
  registry: new Registry(),
  runtime: { group: { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 5_000, heartbeatIntervalMs: 300, maxWaitTimeMs: 200 } },
});
process.once('SIGTERM', () => {
  void executor.stop().then(() => process.exit(0));
});
await executor.start();
logger.info('executor running');
