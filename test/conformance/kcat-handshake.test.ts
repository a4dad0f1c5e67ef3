/**
 * librdkafka's view of the broker's handshake (spec §1, §8; §10 scenarios 1 and 2), through
 * kcat 1.7.1 on librdkafka 2.0.2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertSucceeded, explain, grepLines, kcat, protocolLines, startKcatBroker } from '../helpers/kcat.ts';

/** -L needs one metadata round trip; kcat's own -m default (5 s) bounds a broker that never answers. */
const LIST_TIMEOUT_MS = 15_000;

interface KcatMetadata {
  controllerid: number;
  brokers: Array<{ id: number; name: string }>;
}

test('kcat -L tries ApiVersions v3, gets error 35, retries v0 on the same socket and sees broker 0 as controller', async (t) => {
  const bootstrap = await startKcatBroker(t);
  const result = assertSucceeded(await kcat(['-b', bootstrap, '-L', '-J', '-d', 'protocol,broker'], { timeoutMs: LIST_TIMEOUT_MS }), 'kcat -L');

  const metadata = JSON.parse(result.stdout) as KcatMetadata;
  assert.equal(metadata.controllerid, 0, explain(result));
  assert.deepEqual(metadata.brokers, [{ id: 0, name: bootstrap }], explain(result));

  // The bootstrap connection's handshake, in order.
  const bootHandle = `${bootstrap}/bootstrap`;
  const onBoot = protocolLines(result.stderr).filter((l) => l.broker === bootHandle);
  const handshake = onBoot.slice(0, 4).map((l) => `${l.direction} ${l.api} v${l.version}`);
  assert.deepEqual(handshake, ['sent ApiVersion v3', 'received ApiVersion v3', 'sent ApiVersion v0', 'received ApiVersion v0'], explain(result));
  assert.ok(
    grepLines(result.stderr, 'ApiVersionRequest v3 failed due to UNSUPPORTED_VERSION: retrying with v0').length > 0,
    `librdkafka did not step down from v3 on error 35\n${explain(result)}`,
  );
  // Same socket: one connect before the v0 retry, and no disconnect anywhere in the run.
  const bootLines = result.stderr.split('\n').filter((l) => l.includes(`[thrd:${bootHandle}]`));
  const v0Index = bootLines.findIndex((l) => l.includes('Sent ApiVersionRequest (v0'));
  const connectsBeforeV0 = bootLines.slice(0, v0Index).filter((l) => /Connected \(#\d+\)/.test(l));
  assert.equal(connectsBeforeV0.length, 1, `expected one connection before the v0 retry\n${connectsBeforeV0.join('\n')}`);
  assert.deepEqual(grepLines(result.stderr, /Disconnected|Connection closed|socket: /), [], explain(result));

  // Metadata at the one implemented version (spec §1 table).
  const metadataRequest = onBoot.find((l) => l.direction === 'sent' && l.api === 'Metadata');
  assert.equal(metadataRequest?.version, 4, explain(result));
});

test('kcat -d feature enables the group coordinator, idempotent producer and MsgVer2 features', async (t) => {
  const bootstrap = await startKcatBroker(t);
  const result = assertSucceeded(await kcat(['-b', bootstrap, '-L', '-d', 'feature,protocol,broker'], { timeoutMs: LIST_TIMEOUT_MS }), 'kcat -L -d feature');

  const disabled = grepLines(result.stderr, /Disabling feature (BrokerGroupCoordinator|IdempotentProducer|MsgVer2)\b/);
  assert.deepEqual(disabled, [], `features disabled\n${explain(result)}`);
  // librdkafka logs the resulting feature set once per connection after the ApiVersions answer.
  const sets = grepLines(result.stderr, 'Updated enabled protocol features to ');
  const enabled = new Set((sets.at(-1)?.split('Updated enabled protocol features to ')[1] ?? '').split(','));
  for (const feature of ['ApiVersion', 'BrokerGroupCoordinator', 'BrokerBalancedConsumer', 'IdempotentProducer', 'MsgVer2', 'ThrottleTime']) {
    assert.ok(enabled.has(feature), `feature ${feature} not enabled: ${[...enabled].join(',')}\n${explain(result)}`);
  }
});
