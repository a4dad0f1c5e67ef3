import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { readSchemaFiles, renderTypes, SchemaShapeError, TYPES_FILE } from './generate-types.ts';
import { SAMPLES, UNSAFE_MINOR } from './samples.ts';
import { SCHEMA_NAMES, schemaType } from './schema-files.ts';
import { parseAvro } from './avro.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Plain data for deepEqual: avsc decodes records into class instances. */
function plain(value: unknown): unknown {
  if (Buffer.isBuffer(value) || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(plain);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
}

test('types.ts is exactly what the generator writes from the .avsc files', () => {
  const expected = renderTypes(readSchemaFiles());
  const actual = fs.readFileSync(TYPES_FILE, 'utf8');
  assert.equal(actual, expected, 'schemas/types.ts is stale: run `npx tsx schemas/generate-types.ts`');
});

test('every schema file is a record in namespace paystream named after its file', () => {
  const files = readSchemaFiles();
  assert.deepEqual(files.map((f) => f.name), [...SCHEMA_NAMES]);
  for (const file of files) {
    assert.equal(file.schema.type, 'record', file.name);
    assert.equal(file.schema.namespace, 'paystream', file.name);
    assert.equal(file.schema.name, file.name);
  }
});

test('each typed sample value is valid for its schema and round-trips through avsc', () => {
  for (const name of SCHEMA_NAMES) {
    const type = schemaType(name);
    const sample = SAMPLES[name];
    const errors: string[] = [];
    const valid = type.isValid(sample, { errorHook: (p) => errors.push(p.join('.')) });
    assert.ok(valid, `${name} sample invalid at ${errors.join(', ')}`);
    assert.deepEqual(plain(type.fromBuffer(type.toBuffer(sample))), plain(sample), name);
  }
});

/** Walks every field of a schema with the record it belongs to. */
function fields(schema: Json, visit: (record: string, field: { name: string; type: Json }, siblings: string[]) => void): void {
  if (Array.isArray(schema)) return schema.forEach((s) => fields(s, visit));
  if (typeof schema !== 'object' || schema === null) return;
  if (schema.type === 'record' && Array.isArray(schema.fields)) {
    const names = schema.fields.map((f) => (typeof f === 'object' && f !== null && !Array.isArray(f) ? String(f.name) : ''));
    for (const f of schema.fields) {
      if (typeof f !== 'object' || f === null || Array.isArray(f)) continue;
      visit(String(schema.name), { name: String(f.name), type: f.type ?? null }, names);
      fields(f.type ?? null, visit);
    }
    return;
  }
  if (schema.type === 'array') fields(schema.items ?? null, visit);
  if (schema.type === 'map') fields(schema.values ?? null, visit);
  if (typeof schema.type === 'object') fields(schema.type, visit);
}

const nonNull = (type: Json): Json => (Array.isArray(type) ? (type.find((t) => t !== 'null') ?? null) : type);

test('money is a long of minor units beside a currency, times are timestamp-millis, ids are strings', () => {
  for (const { name, schema } of readSchemaFiles()) {
    fields(schema, (record, field, siblings) => {
      const type = nonNull(field.type);
      const where = `${name}: ${record}.${field.name}`;
      if (field.name.endsWith('AmountMinor') || field.name === 'amountMinor') {
        assert.equal(type, 'long', `${where} must be a plain long`);
        assert.ok(siblings.includes('currency'), `${where} needs a currency field beside it`);
      }
      if (field.name.endsWith('AtMs') || field.name.startsWith('window') || field.name === 'timestampMs') {
        assert.deepEqual(type, { type: 'long', logicalType: 'timestamp-millis' }, `${where} must be timestamp-millis`);
      }
      if (/Id$/.test(field.name)) assert.equal(type, 'string', `${where} is an id and must be a string`);
      if (field.name === 'currency') assert.equal(type, 'string', `${where} must be a string`);
    });
  }
});

test('a money long of 2^53+1 minor units encodes to golden bytes and decodes to the same bigint', () => {
  const type = parseAvro({ type: 'record', name: 'M', namespace: 'paystream', fields: [{ name: 'amountMinor', type: 'long' }, { name: 'currency', type: 'string' }] });
  const bytes = type.toBuffer({ amountMinor: UNSAFE_MINOR, currency: 'EUR' });
  // zig-zag(2^53+1) = 2^54+2 as a base-128 varint: 0x82, six 0x80 continuation bytes, 0x20;
  // then the string: zig-zag length 3 (0x06) and "EUR".
  assert.equal(bytes.toString('hex'), '8280808080808020' + '06' + Buffer.from('EUR').toString('hex'));
  const decoded = type.fromBuffer(bytes) as { amountMinor: unknown };
  assert.equal(typeof decoded.amountMinor, 'bigint');
  assert.equal(decoded.amountMinor, UNSAFE_MINOR);
});

test('the long extremes round-trip and out-of-range or number amounts are rejected', () => {
  const type = parseAvro({ type: 'record', name: 'M', fields: [{ name: 'amountMinor', type: 'long' }, { name: 'optionalMinor', type: ['null', 'long'], default: null }] });
  for (const amountMinor of [-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n]) {
    const back = type.fromBuffer(type.toBuffer({ amountMinor, optionalMinor: amountMinor })) as { amountMinor: bigint; optionalMinor: bigint };
    assert.equal(back.amountMinor, amountMinor);
    assert.equal(back.optionalMinor, amountMinor);
  }
  assert.equal(type.isValid({ amountMinor: 100, optionalMinor: null }), false, 'a JS number is not money');
  assert.equal(type.isValid({ amountMinor: 2n ** 63n, optionalMinor: null }), false);
  assert.throws(() => type.toBuffer({ amountMinor: 1.5, optionalMinor: null }));
});

test('timestamp-millis fields decode to numbers and a long default decodes to bigint', () => {
  const type = parseAvro({
    type: 'record',
    name: 'T',
    fields: [
      { name: 'atMs', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'feeMinor', type: 'long', default: 7 },
    ],
  });
  const older = parseAvro({ type: 'record', name: 'T', fields: [{ name: 'atMs', type: { type: 'long', logicalType: 'timestamp-millis' } }] });
  const value = type.fromBuffer(older.toBuffer({ atMs: 1_700_000_000_123 }), type.createResolver(older)) as { atMs: unknown; feeMinor: unknown };
  assert.equal(value.atMs, 1_700_000_000_123);
  assert.equal(value.feeMinor, 7n);
});

test('the generator rejects schema shapes the types cannot express', () => {
  {
    const cases: Array<[string, Json]> = [
      ['Mixed', { type: 'record', name: 'Mixed', fields: [{ name: 'x', type: ['string', 'int'] }] }],
      ['Decimal', { type: 'record', name: 'Decimal', fields: [{ name: 'x', type: { type: 'bytes', logicalType: 'decimal', precision: 4 } }] }],
      ['Named', { type: 'record', name: 'Other', fields: [] }],
      ['Unknown', { type: 'record', name: 'Unknown', fields: [{ name: 'x', type: 'paystream.Nope' }] }],
    ];
    for (const [name, schema] of cases) {
      assert.throws(() => renderTypes([{ name, schema: schema as { [key: string]: Json } }]), SchemaShapeError, name);
    }
    const a = { type: 'record', name: 'A', namespace: 'paystream', fields: [{ name: 'e', type: { type: 'enum', name: 'E', symbols: ['X'] } }] };
    const b = { type: 'record', name: 'B', namespace: 'paystream', fields: [{ name: 'e', type: { type: 'enum', name: 'E', symbols: ['Y'] } }] };
    assert.throws(() => renderTypes([{ name: 'A', schema: a }, { name: 'B', schema: b }]), /defined differently/);
  }
});
