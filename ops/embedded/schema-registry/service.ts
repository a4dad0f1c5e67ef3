/**
 * The registry's operations over its state and its log. Reads answer from the local state;
 * writes go through the log and return only once their own record has come back, so a client
 * that registered a schema can read it from any instance that has caught up with the log.
 * Writes of one instance run one at a time; writes of different instances are ordered by the
 * log (state.ts explains how a lost race is detected and retried).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../../lib/logger.ts';
import { checkCompatibility, parseLevel, parseSchemaText, type CompatibilityLevel, type ParsedSchema } from './compatibility.ts';
import { RegistryError } from './errors.ts';
import { REGISTER_ATTEMPTS_MAX, SUBJECT_LENGTH_MAX, SUBJECTS_MAX, VERSIONS_PER_SUBJECT_MAX } from './limits.ts';
import { encodeKey, type ConfigKey, type DeleteSubjectKey, type SchemaKey } from './records.ts';
import type { RegistryState, VersionEntry } from './state.ts';

/** Where the registry's records go and come back from (the `_schemas` topic, or memory in tests). */
export interface RegistryLog {
  /** Appends a record and resolves once it has been read back and applied to the state. */
  append(key: string, value: string | null): Promise<void>;
  close(): Promise<void>;
}

/** Body of register, lookup and compatibility requests. */
export interface SchemaRequest {
  schema?: unknown;
  schemaType?: unknown;
  references?: unknown;
}

const VERSION_MAX = 2 ** 31 - 1;

export function validateSubject(subject: string): void {
  const hasControl = [...subject].some((c) => c.charCodeAt(0) < 0x20);
  if (subject.length === 0 || subject.length > SUBJECT_LENGTH_MAX || hasControl) {
    throw new RegistryError('invalid_request', `Invalid subject: 1 to ${SUBJECT_LENGTH_MAX} characters without control characters`);
  }
}

/** `latest`, `-1` or a version number 1..2^31-1; anything else is 42202. */
export function parseVersion(text: string): number | 'latest' {
  if (text === 'latest' || text === '-1') return 'latest';
  const version = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(version) || version < 1 || version > VERSION_MAX) {
    throw new RegistryError('invalid_version', `The specified version '${text}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`);
  }
  return version;
}

/** Parses a request's schema; only Avro without references is supported. */
export function requestSchema(body: SchemaRequest | undefined): ParsedSchema {
  if (body === undefined || typeof body !== 'object' || body === null) throw new RegistryError('invalid_schema', 'Invalid schema: the request body must be a JSON object with a "schema" field');
  if (body.schemaType !== undefined && body.schemaType !== null && body.schemaType !== 'AVRO') {
    throw new RegistryError('invalid_schema', `Invalid schema: schemaType ${JSON.stringify(body.schemaType)} is not supported; this registry stores AVRO only`);
  }
  if (Array.isArray(body.references) && body.references.length > 0) throw new RegistryError('invalid_schema', 'Invalid schema: schema references are not supported');
  return parseSchemaText(body.schema);
}

export class RegistryService {
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly state: RegistryState,
    private readonly log: RegistryLog,
    private readonly logger: Logger,
  ) {}

  /** Runs write operations of this instance one after another. */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writes.then(work, work);
    this.writes = run.catch((err: unknown) => this.logger.debug({ err }, 'registry write failed'));
    return run;
  }

  // ---- reads ---------------------------------------------------------------------------

  subjects(includeDeleted: boolean): string[] {
    return this.state.subjectNames(includeDeleted);
  }

  private liveVersions(subject: string, includeDeleted = false): VersionEntry[] {
    const versions = this.state.versions(subject, includeDeleted);
    if (versions.length === 0) throw new RegistryError('subject_not_found', `Subject '${subject}' not found.`);
    return versions;
  }

  versionNumbers(subject: string, includeDeleted: boolean): number[] {
    return this.liveVersions(subject, includeDeleted).map((v) => v.version);
  }

  version(subject: string, versionText: string): VersionEntry {
    const wanted = parseVersion(versionText);
    const versions = this.liveVersions(subject);
    const entry = wanted === 'latest' ? versions[versions.length - 1] : versions.find((v) => v.version === wanted);
    if (entry === undefined) throw new RegistryError('version_not_found', `Version ${versionText} not found.`);
    return entry;
  }

  schemaById(id: number): string {
    const stored = Number.isSafeInteger(id) && id > 0 ? this.state.schemaById(id) : undefined;
    if (stored === undefined) throw new RegistryError('schema_not_found', `Schema ${id} not found`);
    return stored.text;
  }

  lookup(subject: string, body: SchemaRequest | undefined): VersionEntry {
    const parsed = requestSchema(body);
    this.liveVersions(subject);
    const entry = this.state.findLive(subject, parsed.canonical);
    if (entry === undefined) throw new RegistryError('schema_not_found', 'Schema not found');
    return entry;
  }

  /** POST /compatibility/...: against one version (or, for `latest`, per the subject's level). */
  testCompatibility(subject: string, versionText: string | undefined, body: SchemaRequest | undefined): { compatible: boolean; messages: string[] } {
    const parsed = requestSchema(body);
    const wanted = versionText === undefined ? undefined : parseVersion(versionText);
    const versions = this.state.versions(subject);
    if (versions.length === 0) {
      // Nothing registered yet: any schema can be the first one.
      if (wanted === undefined || wanted === 'latest') return { compatible: true, messages: [] };
      throw new RegistryError('subject_not_found', `Subject '${subject}' not found.`);
    }
    const level = this.state.effectiveLevel(subject);
    const all = versions.map((v) => ({ version: v.version, type: this.state.typeOf(v) }));
    if (wanted === undefined || wanted === 'latest') return checkCompatibility(level, parsed.type, wanted === 'latest' ? all.slice(-1) : all);
    const one = all.find((v) => v.version === wanted);
    if (one === undefined) throw new RegistryError('version_not_found', `Version ${versionText} not found.`);
    return checkCompatibility(level, parsed.type, [one]);
  }

  globalLevel(): CompatibilityLevel {
    return this.state.globalCompatibility();
  }

  /** The subject's own level; 40408 unless `fallBackToGlobal`. */
  subjectLevel(subject: string, fallBackToGlobal: boolean): CompatibilityLevel {
    const level = this.state.subjectLevel(subject);
    if (level !== undefined) return level;
    if (fallBackToGlobal) return this.state.globalCompatibility();
    throw new RegistryError('subject_compatibility_not_configured', `Subject '${subject}' does not have subject-level compatibility configured`);
  }

  // ---- writes --------------------------------------------------------------------------

  async register(subject: string, body: SchemaRequest | undefined): Promise<{ id: number }> {
    validateSubject(subject);
    const parsed = requestSchema(body);
    return this.serialized(async () => {
      for (let attempt = 1; attempt <= REGISTER_ATTEMPTS_MAX; attempt++) {
        const live = this.state.findLive(subject, parsed.canonical);
        if (live !== undefined) return { id: live.id };
        this.assertRoom(subject);
        const previous = this.state.versions(subject).map((v) => ({ version: v.version, type: this.state.typeOf(v) }));
        const level = this.state.effectiveLevel(subject);
        const result = checkCompatibility(level, parsed.type, previous);
        if (!result.compatible) {
          throw new RegistryError('incompatible_schema', `Schema being registered is incompatible with an earlier schema for subject "${subject}": ${result.messages.join('; ')}`);
        }
        const key: SchemaKey = { keytype: 'SCHEMA', subject, version: this.state.nextVersion(subject), magic: 1, id: this.state.idFor(parsed.canonical), writer: randomBytes(8).toString('hex') };
        const recordKey = encodeKey(key);
        await this.log.append(recordKey, JSON.stringify({ subject, version: key.version, id: key.id, schema: parsed.text, deleted: false }));
        if (this.state.acceptedByKey(subject, key.version, recordKey) !== undefined) return { id: key.id };
        // Another instance won this version or id first; withdraw our record and try again.
        this.logger.info({ subject, version: key.version, id: key.id, attempt }, 'registration lost a race with another registry instance; retrying');
        await this.log.append(recordKey, null);
      }
      throw new RegistryError('store_error', `Could not register a schema under '${subject}' after ${REGISTER_ATTEMPTS_MAX} attempts: other registry instances kept winning`);
    });
  }

  private assertRoom(subject: string): void {
    if (this.state.versions(subject, true).length >= VERSIONS_PER_SUBJECT_MAX) {
      throw new RegistryError('invalid_request', `Subject '${subject}' has reached ${VERSIONS_PER_SUBJECT_MAX} versions`);
    }
    if (!this.state.hasSubject(subject) && this.state.subjectCount() >= SUBJECTS_MAX) {
      throw new RegistryError('invalid_request', `The registry holds ${SUBJECTS_MAX} subjects, its limit`);
    }
  }

  async setLevel(subject: string | null, levelText: unknown): Promise<CompatibilityLevel> {
    if (subject !== null) validateSubject(subject);
    const level = parseLevel(levelText);
    const key: ConfigKey = { keytype: 'CONFIG', subject, magic: 0 };
    await this.serialized(() => this.log.append(encodeKey(key), JSON.stringify({ compatibilityLevel: level })));
    return level;
  }

  /** Removes the subject's own level; returns what it was. */
  async deleteLevel(subject: string): Promise<CompatibilityLevel> {
    const previous = this.subjectLevel(subject, false);
    const key: ConfigKey = { keytype: 'CONFIG', subject, magic: 0 };
    await this.serialized(() => this.log.append(encodeKey(key), null));
    return previous;
  }

  /** Soft-deletes every version of a subject; returns the versions deleted. */
  async deleteSubject(subject: string): Promise<number[]> {
    return this.serialized(async () => {
      const versions = this.liveVersions(subject).map((v) => v.version);
      const upTo = Math.max(...versions);
      const key: DeleteSubjectKey = { keytype: 'DELETE_SUBJECT', subject, magic: 0 };
      await this.log.append(encodeKey(key), JSON.stringify({ subject, version: upTo }));
      return versions;
    });
  }
}
