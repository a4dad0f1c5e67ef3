import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { CONFIG_VARIABLES, loadConfig } from './config.ts';
import { ConfigErrors } from './errors.ts';

function rejects(env: Record<string, string>, variable: string, expected: RegExp): void {
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => {
      assert.ok(err instanceof ConfigErrors, 'throws ConfigErrors');
      assert.equal(err.code, 'config_invalid');
      const names = err.errors.map((e) => e.variable);
      assert.ok(names.includes(variable), `names ${variable}, got ${names.join(',')}`);
      assert.match(err.message, expected);
      return true;
    },
  );
}

test('configuration defaults leave external services unset so the launcher embeds them', () => {
  const config = loadConfig({});
  assert.equal(config.dataDir, '.paystream');
  assert.equal(config.logLevel, 'info');
  assert.equal(config.databaseUrl, undefined);
  assert.equal(config.redisUrl, undefined);
  assert.equal(config.kafkaBrokers, undefined);
  assert.equal(config.apiPort, 8080);
  assert.equal(config.shutdownGraceMs, 10000);
  assert.ok(Object.isFrozen(config));
});

test('configuration parses external services and keeps URLs as masked secrets', () => {
  const config = loadConfig({
    DATABASE_URL: 'postgres://app:hunter2@db:5432/paystream',
    REDIS_URL: 'redis://cache:6379/0',
    KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092',
    SCHEMA_REGISTRY_URL: 'http://registry:8081',
  });
  assert.deepEqual(config.kafkaBrokers, [{ host: 'kafka-1', port: 9092 }, { host: 'kafka-2', port: 9092 }]);
  assert.equal(config.databaseUrl?.reveal(), 'postgres://app:hunter2@db:5432/paystream');
  assert.equal(String(config.databaseUrl), '[redacted]');
  assert.equal(JSON.stringify({ url: config.databaseUrl }), '{"url":"[redacted]"}');
  assert.doesNotMatch(inspect(config), /hunter2/);
});

test('configuration rejects each invalid setting with a message naming it', () => {
  rejects({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /LOG_LEVEL must be one of fatal, error/);
  rejects({ API_PORT: '70000' }, 'API_PORT', /API_PORT must be an integer from 0 to 65535/);
  rejects({ API_PORT: '80a' }, 'API_PORT', /API_PORT/);
  rejects({ METRICS_PORT: '-1' }, 'METRICS_PORT', /METRICS_PORT/);
  rejects({ DATABASE_URL: 'mysql://x/y' }, 'DATABASE_URL', /DATABASE_URL must be a URL starting with postgres:\/\//);
  rejects({ DATABASE_URL: 'not a url' }, 'DATABASE_URL', /DATABASE_URL/);
  rejects({ REDIS_URL: 'http://cache' }, 'REDIS_URL', /REDIS_URL must be a URL starting with redis:\/\//);
  rejects({ KAFKA_BROKERS: 'kafka-1' }, 'KAFKA_BROKERS', /KAFKA_BROKERS must be a comma-separated list of host:port/);
  rejects({ KAFKA_BROKERS: 'kafka:0' }, 'KAFKA_BROKERS', /KAFKA_BROKERS/);
  rejects({ KAFKA_CLIENT_ID: 'has space' }, 'KAFKA_CLIENT_ID', /KAFKA_CLIENT_ID/);
  rejects({ SCHEMA_REGISTRY_URL: 'ftp://registry' }, 'SCHEMA_REGISTRY_URL', /SCHEMA_REGISTRY_URL/);
  rejects({ PAYSTREAM_MASTER_KEY: 'short' }, 'PAYSTREAM_MASTER_KEY', /PAYSTREAM_MASTER_KEY must be 32 bytes/);
  rejects({ ZABBIX_PORT: '99999' }, 'ZABBIX_PORT', /ZABBIX_PORT/);
  rejects({ SHUTDOWN_GRACE_MS: '1h' }, 'SHUTDOWN_GRACE_MS', /SHUTDOWN_GRACE_MS/);
  rejects({ BROKER_FSYNC_INTERVAL_MS: '600000' }, 'BROKER_FSYNC_INTERVAL_MS', /BROKER_FSYNC_INTERVAL_MS/);
  rejects({ API_HOST: 'bad host' }, 'API_HOST', /API_HOST must be a host name/);
});

test('configuration reports every invalid variable at once and never echoes a secret', () => {
  assert.throws(
    () => loadConfig({ LOG_LEVEL: 'x', API_PORT: 'y', PAYSTREAM_MASTER_KEY: 'supersecretvalue' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigErrors);
      assert.deepEqual(err.errors.map((e) => e.variable).sort(), ['API_PORT', 'LOG_LEVEL', 'PAYSTREAM_MASTER_KEY']);
      assert.doesNotMatch(err.message, /supersecretvalue/);
      return true;
    },
  );
});

test('configuration accepts a master key as hex or base64', () => {
  const hex = 'ab'.repeat(32);
  assert.equal(loadConfig({ PAYSTREAM_MASTER_KEY: hex }).masterKey?.reveal(), hex);
  const b64 = Buffer.alloc(32, 7).toString('base64');
  assert.equal(loadConfig({ PAYSTREAM_MASTER_KEY: b64 }).masterKey?.reveal(), '07'.repeat(32));
});

test('every configuration variable is documented with a description', () => {
  const names = new Set<string>();
  for (const v of CONFIG_VARIABLES) {
    assert.ok(v.description.length > 10, v.name);
    assert.ok(!names.has(v.name), `duplicate ${v.name}`);
    names.add(v.name);
  }
});
