/**
 * The registry's state, rebuilt by replaying `_schemas` in offset order. Every instance applies
 * the same deterministic rules to the same log, so all instances agree on every id and version
 * without talking to each other:
 *
 *   A SCHEMA record is accepted unless it conflicts with what is already accepted:
 *     - its subject already has that version;
 *     - its id already names a different schema;
 *     - its schema already has a different id.
 *   A conflicting record is ignored: it lost a race with another instance. Its writer sees that
 *   when its record comes back, tombstones its own (unique) key and tries again.
 *
 * Accepted SCHEMA records are never rewritten (soft deletes are separate DELETE_SUBJECT
 * records), so compaction keeps them at their offsets and a later replay accepts the same ones.
 */
import type { Type } from 'avsc';
import { DEFAULT_COMPATIBILITY, parseSchemaText, type CompatibilityLevel } from './compatibility.ts';
import { RegistryError } from './errors.ts';
import { decodeRecord, encodeKey, type RegistryRecord, type SchemaKey, type SchemaValue } from './records.ts';

export interface VersionEntry {
  subject: string;
  version: number;
  id: number;
  /** Schema text as first registered under this id. */
  schema: string;
  canonical: string;
  deleted: boolean;
  /** The `_schemas` key that carried this version. */
  recordKey: string;
}

interface StoredSchema {
  /** The text of the first registration of this schema, returned by every read. */
  text: string;
  canonical: string;
  type: Type;
}

export type ApplyOutcome = 'accepted' | 'ignored' | 'skipped';

export class RegistryState {
  private readonly schemasById = new Map<number, StoredSchema>();
  private readonly idByCanonical = new Map<string, number>();
  private readonly subjects = new Map<string, Map<number, VersionEntry>>();
  private readonly subjectLevels = new Map<string, CompatibilityLevel>();
  private globalLevel: CompatibilityLevel | undefined;
  private maxId = 0;

  /** Applies one raw `_schemas` record; `skipped` means this registry does not understand it. */
  applyRaw(key: string, value: string | null): ApplyOutcome {
    const record = decodeRecord(key, value);
    return record === undefined ? 'skipped' : this.apply(record);
  }

  apply(record: RegistryRecord): ApplyOutcome {
    switch (record.key.keytype) {
      case 'SCHEMA':
        return this.applySchema(record.key, record.value as SchemaValue | null);
      case 'CONFIG': {
        const value = record.value as { compatibilityLevel: CompatibilityLevel } | null;
        if (record.key.subject === null) this.globalLevel = value?.compatibilityLevel;
        else if (value === null) this.subjectLevels.delete(record.key.subject);
        else this.subjectLevels.set(record.key.subject, value.compatibilityLevel);
        return 'accepted';
      }
      case 'NOOP':
        return 'accepted';
      case 'DELETE_SUBJECT': {
        const value = record.value as { version: number } | null;
        if (value === null) return 'accepted';
        for (const entry of this.subjects.get(record.key.subject)?.values() ?? []) {
          if (entry.version <= value.version) entry.deleted = true;
        }
        return 'accepted';
      }
    }
  }

  private applySchema(key: SchemaKey, value: SchemaValue | null): ApplyOutcome {
    const recordKey = encodeKey(key);
    const versions = this.subjects.get(key.subject);
    if (value === null) {
      // A tombstone removes the version only if this very key carried it (a loser's tombstone
      // names its own ignored key and changes nothing).
      const entry = versions?.get(key.version);
      if (entry?.recordKey === recordKey) versions?.delete(key.version);
      return 'accepted';
    }
    let parsed;
    try {
      parsed = parseSchemaText(value.schema);
    } catch (err) {
      if (err instanceof RegistryError) return 'skipped';
      throw err;
    }
    if (versions?.has(key.version) === true) return 'ignored';
    const existing = this.schemasById.get(key.id);
    if (existing !== undefined && existing.canonical !== parsed.canonical) return 'ignored';
    const knownId = this.idByCanonical.get(parsed.canonical);
    if (knownId !== undefined && knownId !== key.id) return 'ignored';
    const stored = existing ?? { text: parsed.text, canonical: parsed.canonical, type: parsed.type };
    this.schemasById.set(key.id, stored);
    this.idByCanonical.set(parsed.canonical, key.id);
    this.maxId = Math.max(this.maxId, key.id);
    const map = versions ?? new Map<number, VersionEntry>();
    map.set(key.version, { subject: key.subject, version: key.version, id: key.id, schema: stored.text, canonical: parsed.canonical, deleted: false, recordKey });
    this.subjects.set(key.subject, map);
    return 'accepted';
  }

  // ---- queries -------------------------------------------------------------------------

  /** Subjects with at least one live version, sorted. */
  subjectNames(includeDeleted = false): string[] {
    return [...this.subjects.entries()]
      .filter(([, versions]) => [...versions.values()].some((v) => includeDeleted || !v.deleted))
      .map(([subject]) => subject)
      .sort();
  }

  /** Versions of a subject, oldest first; soft-deleted ones only when asked. */
  versions(subject: string, includeDeleted = false): VersionEntry[] {
    return [...(this.subjects.get(subject)?.values() ?? [])].filter((v) => includeDeleted || !v.deleted).sort((a, b) => a.version - b.version);
  }

  hasSubject(subject: string): boolean {
    return this.versions(subject).length > 0;
  }

  /** The next version number of a subject; soft-deleted versions keep their numbers. */
  nextVersion(subject: string): number {
    return Math.max(0, ...this.versions(subject, true).map((v) => v.version)) + 1;
  }

  /** The id a schema (by canonical form) has or would get. */
  idFor(canonical: string): number {
    return this.idByCanonical.get(canonical) ?? this.maxId + 1;
  }

  schemaById(id: number): StoredSchema | undefined {
    return this.schemasById.get(id);
  }

  typeOf(entry: VersionEntry): Type {
    const stored = this.schemasById.get(entry.id);
    if (stored === undefined) throw new Error(`registry state broken: version ${entry.subject}/${entry.version} names unknown id ${entry.id}`);
    return stored.type;
  }

  /** The live version of `subject` whose schema has this canonical form. */
  findLive(subject: string, canonical: string): VersionEntry | undefined {
    return this.versions(subject).find((v) => v.canonical === canonical);
  }

  /** The entry written under exactly this record key, if it was accepted. */
  acceptedByKey(subject: string, version: number, recordKey: string): VersionEntry | undefined {
    const entry = this.subjects.get(subject)?.get(version);
    return entry?.recordKey === recordKey ? entry : undefined;
  }

  subjectLevel(subject: string): CompatibilityLevel | undefined {
    return this.subjectLevels.get(subject);
  }

  globalCompatibility(): CompatibilityLevel {
    return this.globalLevel ?? DEFAULT_COMPATIBILITY;
  }

  effectiveLevel(subject: string): CompatibilityLevel {
    return this.subjectLevels.get(subject) ?? this.globalCompatibility();
  }

  subjectCount(): number {
    return this.subjects.size;
  }
}
