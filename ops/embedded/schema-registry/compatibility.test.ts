import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCompatibility, parseLevel, parseSchemaText, type CompatibilityLevel } from './compatibility.ts';
import { RegistryError } from './errors.ts';
import { BASE, EVOLUTIONS, LEVEL_EXPECTATIONS, recordSchema } from './test-support.ts';

const type = (text: string) => parseSchemaText(text).type;

test('each evolution is accepted or rejected per compatibility level by schema resolution', () => {
  for (const evolution of EVOLUTIONS) {
    for (const [level, expect] of Object.entries(LEVEL_EXPECTATIONS)) {
      const result = checkCompatibility(level as CompatibilityLevel, type(evolution.schema), [{ version: 1, type: type(BASE) }]);
      assert.equal(result.compatible, expect(evolution), `${evolution.what} under ${level}: ${result.messages.join('; ')}`);
      assert.equal(result.messages.length === 0, result.compatible);
    }
  }
});

test('transitive levels compare with every earlier version, plain levels with the latest only', () => {
  const v1 = recordSchema([{ name: 'id', type: 'string' }, { name: 'x', type: 'int' }]);
  const v2 = recordSchema([{ name: 'id', type: 'string' }]);
  const v3 = recordSchema([{ name: 'id', type: 'string' }, { name: 'x', type: 'string', default: '' }]);
  const history = [{ version: 1, type: type(v1) }, { version: 2, type: type(v2) }];
  assert.equal(checkCompatibility('BACKWARD', type(v3), history).compatible, true);
  const transitive = checkCompatibility('BACKWARD_TRANSITIVE', type(v3), history);
  assert.equal(transitive.compatible, false);
  assert.match(transitive.messages.join(), /version 1/);
  assert.equal(checkCompatibility('FULL_TRANSITIVE', type(v3), history).compatible, false);
  assert.equal(checkCompatibility('FORWARD_TRANSITIVE', type(v2), [{ version: 1, type: type(v1) }]).compatible, false);
});

test('schema identity ignores whitespace and key order but not defaults', () => {
  const a = parseSchemaText('{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}');
  const b = parseSchemaText(' { "fields" : [ { "type":"int", "name":"a" } ], "name":"R", "type":"record" } ');
  const c = parseSchemaText('{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":1}]}');
  assert.equal(a.canonical, b.canonical);
  assert.notEqual(a.canonical, c.canonical);
  assert.equal(b.text, '{"fields":[{"type":"int","name":"a"}],"name":"R","type":"record"}', 'stored as sent, without whitespace');
});

test('invalid schemas and levels are typed registry errors', () => {
  for (const bad of ['', 'not json', '{"type":"record","name":"R"}', '{"type":"nope"}', '{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}']) {
    assert.throws(() => parseSchemaText(bad), (err: unknown) => err instanceof RegistryError && err.errorCode === 42201 && err.status === 422, bad);
  }
  assert.throws(() => parseSchemaText(42), (err: unknown) => err instanceof RegistryError && err.code === 'invalid_schema');
  assert.equal(parseLevel('full_transitive'), 'FULL_TRANSITIVE');
  assert.throws(() => parseLevel('SIDEWAYS'), (err: unknown) => err instanceof RegistryError && err.errorCode === 42203);
});
