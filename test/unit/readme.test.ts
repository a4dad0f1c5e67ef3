import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configMarkdownTable } from '../../lib/config.ts';

const README = join(import.meta.dirname, '../../README.md');

test('README opens with the command that runs paystream and the one that runs the tests', () => {
  const text = readFileSync(README, 'utf8');
  const firstBlock = /```sh\n([\s\S]*?)```/.exec(text)?.[1] ?? '';
  const commands = firstBlock.split('\n').filter((l) => l.trim() !== '').map((l) => l.split('#')[0]?.trim());
  assert.deepEqual(commands, ['npm ci && npm start', 'npm ci && npm test']);
  assert.match(readFileSync(join(import.meta.dirname, '../../.ci/run'), 'utf8'), /^npm ci && npm test$/m, '.ci/run runs the README test command');
});

test('README configuration table equals the configuration module', () => {
  const text = readFileSync(README, 'utf8');
  const table = /<!-- config-table:start -->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(text)?.[1];
  assert.equal(table, configMarkdownTable(), 'regenerate with `npx paystream config --markdown`');
});
