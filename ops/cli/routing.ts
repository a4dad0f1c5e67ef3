/**
 * `paystream routing list|show|validate|put|delete`: routing rules in the compacted
 * `config.routing-rules` topic. Writes are validated here first (every issue listed) and are
 * picked up by every running router without a restart. Rules are JSON files: amounts as
 * strings of minor units; version left out takes the next one.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../../lib/config.ts';
import { createKafka, type Kafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import { PaystreamError } from '../../lib/errors.ts';
import { AvroCodec } from '../../schemas/codec.ts';
import { ROUTER_TOPICS } from '../../streams/router/processor.ts';
import { ruleFromJson, ruleToJson, versionFor } from '../../streams/router/json.ts';
import { assertValidRule, ruleIssues } from '../../streams/router/rules.ts';
import { deleteRule, readRules, writeRules } from '../../streams/router/store.ts';
import { RouterError } from '../../streams/router/errors.ts';
import { resolveServices } from '../services.ts';

export interface RoutingCommandContext {
  config(): Readonly<Config>;
  logger(config: Readonly<Config>): Logger;
  dataDir(cmd: Command, config: Readonly<Config>): string;
}

/** Rules from a file holding one rule object or a list of them. */
function rulesFromFile(path: string, updatedBy: string): ReturnType<typeof ruleFromJson>[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PaystreamError('rule_file_unreadable', `${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return (Array.isArray(parsed) ? parsed : [parsed]).map((v) => ruleFromJson(v, { updatedBy, nowMs: Date.now() }));
}

/** Prints a rule error as its issues, one a line, and sets a failing exit code. */
function reportInvalid(err: unknown): void {
  if (!(err instanceof RouterError)) throw err;
  process.stderr.write(`${err.code}: ${err.message}\n`);
  process.exitCode = 1;
}

export function registerRoutingCommand(program: Command, ctx: RoutingCommandContext): void {
  const routing = program.command('routing').description('routing rules (config.routing-rules): list, validate, write, delete');
  const withKafka = async <T>(cmd: Command, work: (kafka: Kafka, codec: AvroCodec, logger: Logger) => Promise<T>): Promise<T> => {
    const loaded = ctx.config();
    const config = Object.freeze({ ...loaded, dataDir: ctx.dataDir(cmd, loaded) });
    const logger = ctx.logger(config);
    const services = resolveServices(config);
    const kafka = createKafka({ brokers: services.kafkaBrokers, clientId: `${config.kafkaClientId}-cli`, logger });
    const codec = new AvroCodec({ registryUrl: services.schemaRegistryUrl, clientId: `${config.kafkaClientId}-cli`, autoRegister: services.embeddedRegistry });
    return work(kafka, codec, logger);
  };
  const topic = ROUTER_TOPICS.rules;

  routing
    .command('list')
    .description('the rules every router holds, in match order')
    .option('--json', 'print the rules as JSON')
    .option('--data-dir <dir>', 'data directory')
    .action(async (opts: { json?: boolean }, cmd: Command) =>
      withKafka(cmd, async (kafka, codec, logger) => {
        const set = await readRules(kafka, codec, topic, logger);
        if (opts.json === true) {
          process.stdout.write(`${JSON.stringify(set.rules.map(ruleToJson), null, 2)}\n`);
          return;
        }
        for (const r of set.rules) {
          const match = [r.merchantId && `merchant=${r.merchantId}`, r.method && `method=${r.method}`, r.currency && `currency=${r.currency}`, r.minAmountMinor !== null && `min=${r.minAmountMinor}`, r.maxAmountMinor !== null && `max=${r.maxAmountMinor}`, r.timeWindow && `window=${r.timeWindow.startMinute}-${r.timeWindow.endMinute} ${r.timeWindow.timeZone}`].filter(Boolean).join(' ') || 'everything';
          const arms = r.arms.map((a) => `${a.armId}:${a.weightPercent}% ${a.strategy === 'FIXED' ? [a.channelId, ...a.fallbackChannelIds].join('>') : 'scored'}`).join(', ');
          process.stdout.write(`${`${r.ruleId}@${r.version}`.padEnd(28)} prio ${String(r.priority).padEnd(6)} ${r.enabled ? 'on ' : 'off'}  ${match}  →  ${arms}\n`);
        }
        if (set.rules.length === 0) process.stdout.write('no routing rules\n');
      }),
    );
  routing
    .command('show <ruleId>')
    .description('one rule as JSON (edit it and write it back with put)')
    .option('--data-dir <dir>', 'data directory')
    .action(async (ruleId: string, _opts: unknown, cmd: Command) =>
      withKafka(cmd, async (kafka, codec, logger) => {
        const rule = (await readRules(kafka, codec, topic, logger)).get(ruleId);
        if (rule === undefined) {
          process.stderr.write(`no rule ${ruleId}\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(`${JSON.stringify(ruleToJson(rule), null, 2)}\n`);
      }),
    );
  routing
    .command('validate <file>')
    .description('check a rule file without writing it; every problem is listed')
    .action((file: string) => {
      try {
        const rules = rulesFromFile(file, 'cli');
        let bad = 0;
        for (const rule of rules) {
          const issues = ruleIssues({ ...rule, version: Math.max(rule.version, 1) });
          bad += issues.length > 0 ? 1 : 0;
          process.stdout.write(issues.length === 0 ? `${rule.ruleId}: valid\n` : `${rule.ruleId}: invalid\n  ${issues.join('\n  ')}\n`);
        }
        if (bad > 0) process.exitCode = 1;
      } catch (err) {
        reportInvalid(err);
      }
    });
  routing
    .command('put <file>')
    .description('validate and write rules (one object or a list); routers reload them without a restart')
    .option('--by <who>', 'who makes the change (recorded as updatedBy)', 'cli')
    .option('--data-dir <dir>', 'data directory')
    .action(async (file: string, opts: { by: string }, cmd: Command) =>
      withKafka(cmd, async (kafka, codec, logger) => {
        try {
          const held = await readRules(kafka, codec, topic, logger);
          const rules = rulesFromFile(file, opts.by).map((r) => versionFor(r, held.get(r.ruleId)));
          for (const r of rules) assertValidRule(r);
          await writeRules(kafka, codec, topic, rules);
          for (const r of rules) process.stdout.write(`written ${r.ruleId}@${r.version}\n`);
        } catch (err) {
          reportInvalid(err);
        }
      }),
    );
  routing
    .command('delete <ruleId>')
    .description('remove a rule from every router')
    .option('--data-dir <dir>', 'data directory')
    .action(async (ruleId: string, _opts: unknown, cmd: Command) =>
      withKafka(cmd, async (kafka, codec, logger) => {
        if ((await readRules(kafka, codec, topic, logger)).get(ruleId) === undefined) {
          process.stderr.write(`no rule ${ruleId}\n`);
          process.exitCode = 1;
          return;
        }
        await deleteRule(kafka, topic, ruleId);
        process.stdout.write(`deleted ${ruleId}\n`);
      }),
    );
}
