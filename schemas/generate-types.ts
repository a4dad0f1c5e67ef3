/**
 * Generates schemas/types.ts from schemas/*.avsc, so the TypeScript types cannot drift from the
 * schemas: `types.test.ts` regenerates in memory and fails when the committed file differs.
 *
 *   tsx schemas/generate-types.ts          rewrite schemas/types.ts
 *
 * The mapping follows how `avro.ts` decodes: plain long → bigint, timestamp-millis → number,
 * bytes → Buffer, ["null", T] → T | null, a union of records → an object keyed by the branch's
 * full name. Any other shape throws, so a schema cannot use something the types cannot express.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PaystreamError } from '../lib/errors.ts';

export const SCHEMAS_DIR = path.dirname(fileURLToPath(import.meta.url));
export const TYPES_FILE = path.join(SCHEMAS_DIR, 'types.ts');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const PRIMITIVES: Record<string, string> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  float: 'number',
  double: 'number',
  long: 'bigint',
  bytes: 'Buffer',
  string: 'string',
};

/** A schema uses a shape the generated types cannot express, or names clash between files. */
export class SchemaShapeError extends PaystreamError<'schema_shape_unsupported'> {
  constructor(file: string, where: string, message: string) {
    super('schema_shape_unsupported', `${file}: ${where}: ${message}`);
    this.name = 'SchemaShapeError';
  }
}

interface Named {
  fullName: string;
  shortName: string;
  /** Canonical JSON of the definition, to detect one name defined two ways in different files. */
  canonical: string;
  file: string;
  code: string;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function qualify(name: string, namespace: string | undefined): string {
  return name.includes('.') || namespace === undefined ? name : `${namespace}.${name}`;
}

function shortOf(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf('.') + 1);
}

function docComment(doc: Json | undefined, indent: string): string {
  if (typeof doc !== 'string' || doc === '') return '';
  return `${indent}/** ${doc.replace(/\*\//g, '* /')} */\n`;
}

class Generator {
  readonly named = new Map<string, Named>();
  readonly order: string[] = [];

  constructor(private readonly file: string) {}

  fail(where: string, message: string): never {
    throw new SchemaShapeError(this.file, where, message);
  }

  /** The TypeScript type of a schema node; defines named types on the way. */
  typeOf(schema: Json, namespace: string | undefined, where: string): string {
    if (typeof schema === 'string') {
      const primitive = PRIMITIVES[schema];
      if (primitive !== undefined) return primitive;
      const fullName = qualify(schema, namespace);
      if (!this.named.has(fullName)) this.fail(where, `unknown type name ${schema}`);
      return shortOf(fullName);
    }
    if (Array.isArray(schema)) return this.unionOf(schema, namespace, where);
    if (!isObject(schema)) return this.fail(where, `not a schema: ${JSON.stringify(schema)}`);
    const type = schema.type;
    if (typeof type !== 'string') return this.typeOf(type ?? null, namespace, where);
    if (schema.logicalType !== undefined) {
      if (type === 'long' && schema.logicalType === 'timestamp-millis') return 'number';
      return this.fail(where, `logical type ${String(schema.logicalType)} on ${type} has no TypeScript mapping`);
    }
    switch (type) {
      case 'record':
        return this.record(schema, namespace, where);
      case 'enum':
        return this.enumOf(schema, namespace, where);
      case 'array':
        return `Array<${this.typeOf(schema.items ?? null, namespace, `${where}[]`)}>`;
      case 'map':
        return `Record<string, ${this.typeOf(schema.values ?? null, namespace, `${where}{}`)}>`;
      case 'fixed':
        return this.fail(where, 'fixed is not used by paystream schemas');
      default:
        return this.typeOf(type, namespace, where);
    }
  }

  unionOf(branches: Json[], namespace: string | undefined, where: string): string {
    const nonNull = branches.filter((b) => b !== 'null');
    const nullable = nonNull.length < branches.length;
    if (nonNull.length === 1) return `${this.typeOf(nonNull[0] ?? null, namespace, where)} | null`;
    // avsc ('auto') wraps a union that holds several records; we only allow that shape.
    const wrapped = nonNull.map((branch, i) => {
      if (!isObject(branch) || branch.type !== 'record') this.fail(`${where}|${i}`, 'a union of several types must hold only records');
      const name = branch.name;
      if (typeof name !== 'string') return this.fail(`${where}|${i}`, 'record without a name');
      const fullName = qualify(name, typeof branch.namespace === 'string' ? branch.namespace : namespace);
      const ts = this.typeOf(branch, namespace, `${where}|${i}`);
      return `{ '${fullName}': ${ts} }`;
    });
    return `${wrapped.join(' | ')}${nullable ? ' | null' : ''}`;
  }

  define(fullName: string, schema: JsonObject, code: string, where: string): string {
    const canonical = JSON.stringify(schema);
    if (this.named.has(fullName)) this.fail(where, `type ${fullName} defined twice in one schema`);
    this.named.set(fullName, { fullName, shortName: shortOf(fullName), canonical, file: this.file, code });
    this.order.push(fullName);
    return shortOf(fullName);
  }

  record(schema: JsonObject, namespace: string | undefined, where: string): string {
    const name = schema.name;
    if (typeof name !== 'string') return this.fail(where, 'record without a name');
    const ownNamespace = typeof schema.namespace === 'string' ? schema.namespace : namespace;
    const fullName = qualify(name, ownNamespace);
    const innerNamespace = fullName.includes('.') ? fullName.slice(0, fullName.lastIndexOf('.')) : undefined;
    const fields = schema.fields;
    if (!Array.isArray(fields)) return this.fail(where, `record ${name} without fields`);
    // Reserve the name first so recursive references resolve; the code is filled in below.
    this.define(fullName, schema, '', where);
    const lines = fields.map((field) => {
      if (!isObject(field) || typeof field.name !== 'string') return this.fail(where, `bad field in ${name}`);
      const ts = this.typeOf(field.type ?? null, innerNamespace, `${name}.${field.name}`);
      return `${docComment(field.doc, '  ')}  ${field.name}: ${ts};`;
    });
    const entry = this.named.get(fullName);
    if (entry !== undefined) entry.code = `${docComment(schema.doc, '')}export interface ${shortOf(fullName)} {\n${lines.join('\n')}\n}\n`;
    return shortOf(fullName);
  }

  enumOf(schema: JsonObject, namespace: string | undefined, where: string): string {
    const name = schema.name;
    const symbols = schema.symbols;
    if (typeof name !== 'string' || !Array.isArray(symbols)) return this.fail(where, 'enum needs a name and symbols');
    const fullName = qualify(name, typeof schema.namespace === 'string' ? schema.namespace : namespace);
    const literals = symbols.map((s) => `'${String(s)}'`).join(' | ');
    const values = symbols.map((s) => `'${String(s)}'`).join(', ');
    const short = shortOf(fullName);
    const code = `${docComment(schema.doc, '')}export type ${short} = ${literals};\nexport const ${short}Values = [${values}] as const;\n`;
    return this.define(fullName, schema, code, where);
  }
}

export interface SchemaFile {
  /** File name without `.avsc`; equals the top-level record's short name. */
  name: string;
  schema: JsonObject;
}

export function readSchemaFiles(dir = SCHEMAS_DIR): SchemaFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.avsc'))
    .sort()
    .map((f) => ({ name: f.slice(0, -'.avsc'.length), schema: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as JsonObject }));
}

/** The whole text of types.ts for these schema files. */
export function renderTypes(files: readonly SchemaFile[]): string {
  const all = new Map<string, Named>();
  const order: string[] = [];
  for (const file of files) {
    const generator = new Generator(`${file.name}.avsc`);
    const top = generator.typeOf(file.schema, undefined, file.name);
    if (top !== file.name) throw new SchemaShapeError(`${file.name}.avsc`, file.name, `top-level record is named ${top}; the file must be named after it`);
    for (const fullName of generator.order) {
      const named = generator.named.get(fullName);
      if (named === undefined) continue;
      const seen = all.get(fullName);
      if (seen === undefined) {
        all.set(fullName, named);
        order.push(fullName);
      } else if (seen.canonical !== named.canonical) {
        throw new SchemaShapeError(named.file, fullName, `defined differently in ${seen.file}`);
      }
    }
    const shorts = new Map<string, string>();
    for (const fullName of order) {
      const short = shortOf(fullName);
      const other = shorts.get(short);
      if (other !== undefined && other !== fullName) throw new SchemaShapeError(file.name, fullName, `short name clashes with ${other}`);
      shorts.set(short, fullName);
    }
  }
  const header = [
    '// Generated from schemas/*.avsc by schemas/generate-types.ts; do not edit by hand.',
    '// schemas/types.test.ts fails when this file is not what the generator writes.',
    '',
  ].join('\n');
  const body = order.map((fullName) => all.get(fullName)?.code ?? '').join('\n');
  const names = files.map((f) => f.name);
  const valueMap = `/** Top-level value schemas by name (the .avsc file name). */\nexport interface ValueTypes {\n${names.map((n) => `  ${n}: ${n};`).join('\n')}\n}\n`;
  const nameList = `export const SCHEMA_NAMES = [\n${names.map((n) => `  '${n}',`).join('\n')}\n] as const;\nexport type SchemaName = (typeof SCHEMA_NAMES)[number];\n`;
  return `${header}\n${body}\n${valueMap}\n${nameList}`;
}

const invokedDirectly = process.argv[1] !== undefined && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  fs.writeFileSync(TYPES_FILE, renderTypes(readSchemaFiles()));
  process.stdout.write(`wrote ${path.relative(process.cwd(), TYPES_FILE)}\n`);
}
