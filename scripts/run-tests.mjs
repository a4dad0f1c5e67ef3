#!/usr/bin/env node
// Runs every *.test.ts under the source folders with Node's own test runner (through tsx),
// so the runner's closing summary counts every test. Test files run in parallel processes;
// each test owns its data directory, ports and topics.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { availableParallelism } from 'node:os';

const roots = ['lib', 'api', 'schemas', 'streams', 'connectors', 'ops', 'test'];
const skip = new Set(['node_modules', '.paystream', '.git']);
const filter = process.argv.slice(2);

function walk(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch (err) { if (err.code === 'ENOENT') return; throw err; }
  for (const name of entries) {
    if (skip.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(process.cwd(), path));
  }
}

const files = [];
for (const root of roots) walk(root, files);
const selected = filter.length === 0 ? files : files.filter((f) => filter.some((p) => f.includes(p)));
selected.sort();
if (selected.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const concurrency = String(Math.max(2, availableParallelism()));
const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...selected], {
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'test' },
});
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
