/**
 * Every topic on disk. Layout under dataDir:
 *   topics.json             every topic's config, rewritten atomically; a topic exists iff it is listed
 *   <name>-<partition>/     one partition log each (partition-log.ts)
 *   *-delete/               a deleted partition's directory awaiting removal (finished on start)
 * topics.json is the commit point: a topic is added to it last on createTopic and removed first
 * on deleteTopic, so a crash in between leaves only directories that start-up or re-creation
 * clean away. (One file rather than one per topic: a 249-character name plus a suffix would
 * exceed the 255-byte file name limit.)
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { LogManager, PartitionLog, TopicConfig } from '../contracts.ts';
import { cleanPartition } from './cleanup.ts';
import { TopicExistsError, UnknownTopicError } from './errors.ts';
import { openPartitionLog, type SegmentedPartitionLog } from './partition-log.ts';
import { removeIfPresent, syncDir, writeFileDurably } from './segment.ts';
import { DEFAULT_TOPIC_CONFIG, validateTopicConfig, validateTopicName } from './topic-config.ts';

export interface LogManagerOptions {
  dataDir: string;
  logger: Logger;
  /** 0 fsyncs every append; otherwise a timer fsyncs every partition this often. */
  fsyncIntervalMs: number;
  /** How often retention and compaction run; 0 disables the timer (runCleanup still works). */
  cleanupIntervalMs: number;
  /** Fills settings missing from stored topic configs (and from nothing else). */
  defaults?: Partial<TopicConfig>;
  nowMs?: () => number;
}

const TOPICS_FILE = 'topics.json';
const DELETE_SUFFIX = '-delete';
/** Topic name characters kept in a doomed directory's name, leaving room for the suffix. */
const DOOMED_NAME_CHARS = 180;

interface Topic {
  config: TopicConfig;
  partitions: SegmentedPartitionLog[];
}

interface StoredTopics {
  version: 1;
  topics: Record<string, Partial<TopicConfig>>;
}

class DiskLogManager implements LogManager {
  private readonly topics = new Map<string, Topic>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly nowMs: () => number;
  private readonly defaults: TopicConfig;
  private closed = false;

  constructor(private readonly opts: LogManagerOptions) {
    this.nowMs = opts.nowMs ?? Date.now;
    this.defaults = { ...DEFAULT_TOPIC_CONFIG, ...opts.defaults };
    validateTopicConfig(this.defaults);
  }

  private get topicsFile(): string {
    return path.join(this.opts.dataDir, TOPICS_FILE);
  }

  private readTopicsFile(): StoredTopics {
    try {
      const stored = JSON.parse(fs.readFileSync(this.topicsFile, 'utf8')) as StoredTopics;
      assert.equal(stored.version, 1, `unknown version of ${this.topicsFile}`);
      return stored;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, topics: {} };
      throw err;
    }
  }

  /** Writes the current topic set (plus `extra`) durably: temp file, fsync, rename, fsync dir. */
  private persistTopics(extra?: { name: string; config: TopicConfig }): void {
    const stored: StoredTopics = { version: 1, topics: {} };
    for (const [name, topic] of this.topics) stored.topics[name] = topic.config;
    if (extra !== undefined) stored.topics[extra.name] = extra.config;
    writeFileDurably(this.topicsFile, `${JSON.stringify(stored, null, 2)}\n`);
    syncDir(this.opts.dataDir);
  }

  private partitionDir(name: string, partition: number): string {
    return path.join(this.opts.dataDir, `${name}-${partition}`);
  }

  load(): void {
    removeIfPresent(`${this.topicsFile}.tmp`);
    for (const entry of fs.readdirSync(this.opts.dataDir)) {
      if (entry.endsWith(DELETE_SUFFIX)) fs.rmSync(path.join(this.opts.dataDir, entry), { recursive: true, force: true });
    }
    for (const [name, partial] of Object.entries(this.readTopicsFile().topics)) {
      validateTopicName(name);
      const config = { ...this.defaults, ...partial };
      validateTopicConfig(config);
      this.topics.set(name, { config, partitions: this.openPartitions(name, config) });
    }
    this.warnAboutOrphans();
    this.opts.logger.info({ dataDir: this.opts.dataDir, topics: this.topics.size }, 'partition logs loaded');
  }

  private warnAboutOrphans(): void {
    const known = new Set<string>();
    for (const [name, topic] of this.topics) for (let p = 0; p < topic.config.partitions; p++) known.add(`${name}-${p}`);
    for (const entry of fs.readdirSync(this.opts.dataDir)) {
      if (/-\d+$/.test(entry) && !known.has(entry)) {
        this.opts.logger.warn({ dir: path.join(this.opts.dataDir, entry) }, 'partition directory without a topic config is ignored');
      }
    }
  }

  private openPartitions(name: string, config: TopicConfig): SegmentedPartitionLog[] {
    return Array.from({ length: config.partitions }, (_, partition) =>
      openPartitionLog({
        dir: this.partitionDir(name, partition),
        topic: name,
        partition,
        config,
        logger: this.opts.logger,
        fsyncIntervalMs: this.opts.fsyncIntervalMs,
        nowMs: this.nowMs,
      }),
    );
  }

  startTimers(): void {
    if (this.opts.cleanupIntervalMs > 0) {
      this.timers.push(setInterval(() => this.runCleanup(this.nowMs()), this.opts.cleanupIntervalMs).unref());
    }
    if (this.opts.fsyncIntervalMs > 0) {
      this.timers.push(setInterval(() => this.syncAll(), this.opts.fsyncIntervalMs).unref());
    }
  }

  createTopic(name: string, config: TopicConfig): void {
    assert.ok(!this.closed, 'createTopic on a closed log manager');
    validateTopicName(name);
    validateTopicConfig(config);
    if (this.topics.has(name)) throw new TopicExistsError(name);
    const stored = { ...config };
    for (let p = 0; p < config.partitions; p++) {
      // A directory left by a crash between directory creation and config write holds nothing acknowledged.
      fs.rmSync(this.partitionDir(name, p), { recursive: true, force: true });
    }
    const partitions = this.openPartitions(name, stored);
    this.persistTopics({ name, config: stored });
    this.topics.set(name, { config: stored, partitions });
    this.opts.logger.info({ topic: name, config: stored }, 'topic created');
  }

  deleteTopic(name: string): void {
    const topic = this.topics.get(name);
    if (topic === undefined) throw new UnknownTopicError(name);
    this.topics.delete(name);
    for (const log of topic.partitions) log.close();
    this.persistTopics();
    for (let p = 0; p < topic.config.partitions; p++) {
      const doomed = path.join(this.opts.dataDir, `${name.slice(0, DOOMED_NAME_CHARS)}-${p}.${randomUUID()}${DELETE_SUFFIX}`);
      fs.renameSync(this.partitionDir(name, p), doomed);
      fs.rmSync(doomed, { recursive: true, force: true });
    }
    this.opts.logger.info({ topic: name }, 'topic deleted');
  }

  topicConfig(name: string): TopicConfig | undefined {
    const config = this.topics.get(name)?.config;
    return config === undefined ? undefined : { ...config };
  }

  topicNames(): string[] {
    return [...this.topics.keys()].sort();
  }

  partition(topic: string, partition: number): PartitionLog | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  runCleanup(nowMs: number): void {
    for (const topic of this.topics.values()) {
      for (const log of topic.partitions) {
        try {
          cleanPartition(log, nowMs, this.opts.logger);
        } catch (err) {
          // One partition's failure (disk full, a bad segment) must not stop the others or the broker.
          this.opts.logger.error({ err, topic: log.topic, partition: log.partition }, 'log cleanup failed');
        }
      }
    }
  }

  private syncAll(): void {
    for (const topic of this.topics.values()) {
      for (const log of topic.partitions) {
        try {
          log.sync();
        } catch (err) {
          this.opts.logger.error({ err, topic: log.topic, partition: log.partition }, 'fsync of a partition log failed');
        }
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const topic of this.topics.values()) for (const log of topic.partitions) log.close();
    this.topics.clear();
  }
}

/** Opens (creating if needed) the data directory and every topic in it, and starts the timers. */
export function openLogManager(opts: LogManagerOptions): LogManager {
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const manager = new DiskLogManager(opts);
  manager.load();
  manager.startTimers();
  return manager;
}
