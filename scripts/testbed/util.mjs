// Small shared pieces of the test bed: where things are, bounded waits, free ports.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CODE_SERVER_VERSION = '4.99.4';
export const TESTBED_DIR = process.env.TESTBED_DIR ?? path.join(REPO_ROOT, '.cache', 'testbed');
export const CODE_SERVER_ENTRY = path.join(TESTBED_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const TEST_RESULTS = path.join(REPO_ROOT, 'test-results');

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` (sync or async) until it returns a truthy value, and returns that value.
 * Throws `Timed out after Ns waiting for <what>` when it does not happen in time, so that
 * every wait says what did not appear. Errors thrown by `check` are retried, except those
 * marked `fatal`, which end the wait at once.
 */
export async function waitFor(what, check, { timeoutMs = 30_000, intervalMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      if (err?.fatal) throw err; // a condition that can no longer come true
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError ? ` (last error: ${lastError.message ?? lastError})` : '';
      throw new Error(`Timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Makes sure code-server is installed (the install is idempotent and fast when cached). */
export function ensureTestbed() {
  if (fs.existsSync(path.join(TESTBED_DIR, `code-server-${CODE_SERVER_VERSION}.ok`))) return;
  console.log('[testbed] code-server is not installed yet; running scripts/testbed/install.sh');
  const r = spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'testbed', 'install.sh')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('scripts/testbed/install.sh failed; see its output above');
}

/** The desktop VS Code to use with @vscode/test-electron, if this machine has one. */
export function findDesktopVSCode() {
  const fromEnv = process.env.VSCODE_EXECUTABLE;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new Error(`VSCODE_EXECUTABLE=${fromEnv} does not exist`);
    return fromEnv;
  }
  const which = spawnSync('sh', ['-c', 'command -v code'], { encoding: 'utf8' });
  const cli = which.status === 0 ? which.stdout.trim() : '';
  if (!cli) return undefined;
  // `code` on PATH is the CLI launcher script (<install>/bin/code); the Electron binary
  // that test-electron has to start sits one folder up.
  const real = fs.realpathSync(cli);
  const dir = path.dirname(real);
  if (path.basename(dir) === 'bin') {
    for (const name of ['code', 'code-insiders', 'Code']) {
      const candidate = path.join(dir, '..', name);
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return path.resolve(candidate);
    }
  }
  return undefined;
}

export function copyDir(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.cpSync(from, to, { recursive: true, filter: (src) => !src.split(path.sep).includes('.distillery') });
}

export function tail(text, lines = 40) {
  return text.split('\n').slice(-lines).join('\n');
}
