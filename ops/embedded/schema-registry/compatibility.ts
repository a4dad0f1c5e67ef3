/**
 * Compatibility by Avro schema resolution, never by comparing text: a schema "can read" another
 * when avsc can build a resolver from the writer's type to the reader's (Avro spec, "Schema
 * Resolution": https://avro.apache.org/docs/1.11.1/specification/#schema-resolution).
 *
 * Levels follow Confluent's meanings:
 *   BACKWARD  the new schema reads data written with the latest one (consumers upgrade first);
 *   FORWARD   the latest schema reads data written with the new one (producers upgrade first);
 *   FULL      both; NONE no check; *_TRANSITIVE compare with every earlier version, not only the latest.
 */
import avro from 'avsc';
import type { Schema, Type } from 'avsc';
import { RegistryError } from './errors.ts';

export const COMPATIBILITY_LEVELS = ['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE'] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];
export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';

export function parseLevel(value: unknown): CompatibilityLevel {
  const level = COMPATIBILITY_LEVELS.find((l) => typeof value === 'string' && l === value.toUpperCase());
  if (level === undefined) throw new RegistryError('invalid_compatibility_level', `Invalid compatibility level. Valid values are ${COMPATIBILITY_LEVELS.join(', ')}`);
  return level;
}

export interface ParsedSchema {
  type: Type;
  /** The schema as the registry stores and returns it: the request's JSON without whitespace. */
  text: string;
  /**
   * Identity of the schema (same canonical → same id): avsc's normal form with all attributes, so
   * whitespace, key order and namespace spelling do not matter, while defaults and docs do.
   */
  canonical: string;
}

/** Parses schema text as Avro; a bad schema is a RegistryError 42201. */
export function parseSchemaText(text: unknown): ParsedSchema {
  if (typeof text !== 'string' || text.trim() === '') throw new RegistryError('invalid_schema', 'Invalid schema: the "schema" field must be a non-empty string');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    if (err instanceof SyntaxError) throw new RegistryError('invalid_schema', `Invalid schema: not JSON (${err.message})`, { cause: err });
    throw err;
  }
  let type: Type;
  try {
    type = avro.Type.forSchema(json as Schema, { wrapUnions: 'auto' });
  } catch (err) {
    // The text is untrusted input: whatever avsc throws while parsing it (usually a plain Error,
    // a TypeError for some malformed shapes) means the schema is invalid.
    if (err instanceof Error) {
      throw new RegistryError('invalid_schema', `Invalid schema: ${err.message}`, { cause: err });
    }
    throw err;
  }
  return { type, text: JSON.stringify(json), canonical: JSON.stringify(type.schema({ exportAttrs: true })) };
}

/** Why `reader` cannot read data written with `writer`, or undefined when it can. */
export function cannotRead(reader: Type, writer: Type): string | undefined {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (err) {
    if (err instanceof Error) return err.message;
    throw err;
  }
}

export interface CompatibilityResult {
  compatible: boolean;
  messages: string[];
}

/**
 * Checks `candidate` against `previous` (oldest first, soft-deleted versions excluded) under
 * `level`. Non-transitive levels look at the latest previous version only.
 */
export function checkCompatibility(level: CompatibilityLevel, candidate: Type, previous: readonly { version: number; type: Type }[]): CompatibilityResult {
  if (level === 'NONE' || previous.length === 0) return { compatible: true, messages: [] };
  const transitive = level.endsWith('_TRANSITIVE');
  const against = transitive ? previous : previous.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const messages: string[] = [];
  for (const old of against) {
    if (backward) {
      const why = cannotRead(candidate, old.type);
      if (why !== undefined) messages.push(`new schema cannot read data written with version ${old.version} (${level}): ${why}`);
    }
    if (forward) {
      const why = cannotRead(old.type, candidate);
      if (why !== undefined) messages.push(`version ${old.version} cannot read data written with the new schema (${level}): ${why}`);
    }
  }
  return { compatible: messages.length === 0, messages };
}
