/**
 * The project's own value schemas, read from schemas/<Name>.avsc and parsed once with the
 * project's Avro options (bigint money). The file text is the source of truth; `types.ts` is
 * generated from it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Schema, Type } from 'avsc';
import { parseAvro } from './avro.ts';
import { SCHEMAS_DIR } from './generate-types.ts';
import type { SchemaName } from './types.ts';

export { SCHEMA_NAMES, type SchemaName } from './types.ts';

const texts = new Map<SchemaName, string>();
const types = new Map<SchemaName, Type>();

/** The schema as compact JSON text, the form sent to a registry. */
export function schemaText(name: SchemaName): string {
  let text = texts.get(name);
  if (text === undefined) {
    const raw = JSON.parse(fs.readFileSync(path.join(SCHEMAS_DIR, `${name}.avsc`), 'utf8')) as Schema;
    text = JSON.stringify(raw);
    texts.set(name, text);
  }
  return text;
}

/** The parsed avsc type (plain longs as bigint), cached per process. */
export function schemaType(name: SchemaName): Type {
  let type = types.get(name);
  if (type === undefined) {
    type = parseAvro(schemaText(name));
    types.set(name, type);
  }
  return type;
}
