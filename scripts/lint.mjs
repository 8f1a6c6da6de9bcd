// `npm run lint`: Prettier's check, then ESLint with type information. Both live in
// tools/lint/ with their own lock file (typescript-eslint needs TypeScript < 6.1; the project
// itself builds with TypeScript 7), installed there on first use from the npm registry.
// `npm run lint -- --fix` rewrites what both tools can fix.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tools = path.join(root, 'tools', 'lint');
const bin = (name) => path.join(tools, 'node_modules', '.bin', name);
const fix = process.argv.includes('--fix');

function run(cmd, args, cwd = root) {
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

if (!fs.existsSync(bin('eslint')) || !fs.existsSync(bin('prettier'))) {
  console.log('[lint] installing the lint tools into tools/lint (npm ci)');
  if (run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], tools) !== 0) process.exit(1);
}
const prettier = run(bin('prettier'), [fix ? '--write' : '--check', '--log-level', 'warn', '.']);
const eslint = run(bin('eslint'), ['--config', path.join(tools, 'eslint.config.mjs'), ...(fix ? ['--fix'] : []), '.']);
if (prettier || eslint) {
  console.error(
    `[lint] ${[prettier && 'prettier', eslint && 'eslint'].filter(Boolean).join(' and ')} found problems${fix ? '' : '; `npm run lint -- --fix` fixes what it can'}`,
  );
  process.exit(1);
}
console.log('[lint] prettier and eslint: clean');
