/**
 * `npm run bench [name ...]`: runs every bench/*.bench.ts in turn (or those whose file name
 * contains one of the given names), each in its own Node process so one benchmark's heap and
 * sockets cannot skew the next. Each benchmark writes its figures to bench/results/.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

function runOne(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, file)], { cwd: REPO_ROOT, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(signal === null ? (code ?? 1) : 1));
  });
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const all = readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  const selected = filters.length === 0 ? all : all.filter((f) => filters.some((name) => f.includes(name)));
  if (selected.length === 0) {
    console.error(`no benchmark matches ${filters.join(', ')}; have ${all.join(', ')}`);
    return 2;
  }
  let failed = 0;
  for (const file of selected) {
    console.log(`# ${file}`);
    const code = await runOne(file);
    if (code !== 0) {
      failed += 1;
      console.error(`# ${file} failed (exit ${code})`);
    }
  }
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
