/**
 * The records of the compacted `_schemas` topic. Keys and values are JSON, after the shape
 * Confluent's registry uses (a `keytype` of SCHEMA, CONFIG or DELETE_SUBJECT), with one
 * difference: a SCHEMA key also holds the schema id and a per-write nonce. Two instances racing
 * for the same subject version therefore write different keys, so compaction can never replace
 * the record every reader accepted with the one they all ignored (see state.ts).
 */
import type { CompatibilityLevel } from './compatibility.ts';
import { COMPATIBILITY_LEVELS } from './compatibility.ts';

export interface SchemaKey {
  keytype: 'SCHEMA';
  subject: string;
  version: number;
  magic: 1;
  id: number;
  writer: string;
}
export interface SchemaValue {
  subject: string;
  version: number;
  id: number;
  schema: string;
  deleted: false;
}
export interface ConfigKey {
  keytype: 'CONFIG';
  /** null is the global level. */
  subject: string | null;
  magic: 0;
}
export interface ConfigValue {
  compatibilityLevel: CompatibilityLevel;
}
export interface DeleteSubjectKey {
  keytype: 'DELETE_SUBJECT';
  subject: string;
  magic: 0;
}
export interface DeleteSubjectValue {
  subject: string;
  /** Every version up to and including this one is soft-deleted. */
  version: number;
}

/** Written at start-up and waited for, to know the log has been read to its end. */
export interface NoopKey {
  keytype: 'NOOP';
  magic: 0;
}

export type RegistryRecord =
  | { key: SchemaKey; value: SchemaValue | null }
  | { key: ConfigKey; value: ConfigValue | null }
  | { key: DeleteSubjectKey; value: DeleteSubjectValue | null }
  | { key: NoopKey; value: null };

/** Serialises with a fixed field order, so equal keys are equal bytes (compaction compares bytes). */
export function encodeKey(key: RegistryRecord['key']): string {
  switch (key.keytype) {
    case 'SCHEMA':
      return JSON.stringify({ keytype: key.keytype, subject: key.subject, version: key.version, magic: key.magic, id: key.id, writer: key.writer });
    case 'CONFIG':
      return JSON.stringify({ keytype: key.keytype, subject: key.subject, magic: key.magic });
    case 'DELETE_SUBJECT':
      return JSON.stringify({ keytype: key.keytype, subject: key.subject, magic: key.magic });
    case 'NOOP':
      return JSON.stringify({ keytype: key.keytype, magic: key.magic });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/**
 * Decodes one `_schemas` record; undefined for records this registry does not understand
 * (other key types, other registries' formats, damage), which replay skips and logs.
 */
export function decodeRecord(keyText: string, valueText: string | null): RegistryRecord | undefined {
  const key = parseJson(keyText);
  const value = valueText === null ? null : parseJson(valueText);
  if (!isObject(key) || value === undefined) return undefined;
  if (key.keytype === 'SCHEMA') {
    if (typeof key.subject !== 'string' || !isPositiveInt(key.version) || !isPositiveInt(key.id) || typeof key.writer !== 'string') return undefined;
    const k: SchemaKey = { keytype: 'SCHEMA', subject: key.subject, version: key.version, magic: 1, id: key.id, writer: key.writer };
    if (value === null) return { key: k, value: null };
    if (!isObject(value) || value.subject !== k.subject || value.version !== k.version || value.id !== k.id || typeof value.schema !== 'string') return undefined;
    return { key: k, value: { subject: k.subject, version: k.version, id: k.id, schema: value.schema, deleted: false } };
  }
  if (key.keytype === 'CONFIG') {
    if (key.subject !== null && typeof key.subject !== 'string') return undefined;
    const k: ConfigKey = { keytype: 'CONFIG', subject: key.subject, magic: 0 };
    if (value === null) return { key: k, value: null };
    const level = isObject(value) ? COMPATIBILITY_LEVELS.find((l) => l === value.compatibilityLevel) : undefined;
    return level === undefined ? undefined : { key: k, value: { compatibilityLevel: level } };
  }
  if (key.keytype === 'DELETE_SUBJECT') {
    if (typeof key.subject !== 'string') return undefined;
    const k: DeleteSubjectKey = { keytype: 'DELETE_SUBJECT', subject: key.subject, magic: 0 };
    if (value === null) return { key: k, value: null };
    if (!isObject(value) || value.subject !== k.subject || !isPositiveInt(value.version)) return undefined;
    return { key: k, value: { subject: k.subject, version: value.version } };
  }
  if (key.keytype === 'NOOP') return { key: { keytype: 'NOOP', magic: 0 }, value: null };
  return undefined;
}
