// Starts code-server (VS Code 1.99.3's server + web workbench) on a free local port, with its
// own user-data and extensions folders, and waits until it answers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { CODE_SERVER_ENTRY, freePort, tail, waitFor } from './util.mjs';

/** Settings for a quiet, deterministic workbench: no welcome page, tips, or update checks. */
export const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'files.autoSave': 'off',
  'window.restoreWindows': 'none',
};

/**
 * @param {object} o
 * @param {string} o.stateDir  folder for user data, extensions and the log (created)
 * @param {string} [o.folder]  workspace folder to open by default
 * @param {Record<string,string>} [o.env]  extra environment (reaches the extension host)
 * @param {Record<string,unknown>} [o.settings]  user settings on top of QUIET_SETTINGS
 * @param {number} [o.port]  fixed port (default: a free one)
 * @param {number} [o.timeoutMs]  how long to wait for the server to answer
 */
export async function startCodeServer({ stateDir, folder, env = {}, settings = {}, port, timeoutMs = 60_000 }) {
  if (!fs.existsSync(CODE_SERVER_ENTRY)) {
    throw new Error(`code-server is not installed (${CODE_SERVER_ENTRY} missing); run: npm run testbed:install`);
  }
  const userDataDir = path.join(stateDir, 'user-data');
  const extensionsDir = path.join(stateDir, 'extensions');
  const logFile = path.join(stateDir, 'code-server.log');
  const configFile = path.join(stateDir, 'code-server.yaml');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...settings }, null, 2));
  // An explicit config file keeps code-server from writing ~/.config/code-server/config.yaml.
  fs.writeFileSync(configFile, 'auth: none\n');

  port ??= await freePort();
  const args = [
    CODE_SERVER_ENTRY,
    '--config',
    configFile,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
  ];
  if (folder) args.push(folder);

  const logFd = fs.openSync(logFile, 'a');
  // Its own process group, so that stop() also ends the extension hosts it spawned.
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, ...env },
  });
  fs.closeSync(logFd);
  let exited = null;
  const exitPromise = new Promise((resolve) => child.on('exit', (code, signal) => resolve((exited = { code, signal }))));

  const url = `http://127.0.0.1:${port}`;
  const readLog = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  const server = {
    url,
    port,
    pid: child.pid,
    userDataDir,
    extensionsDir,
    logFile,
    readLog,
    exited: () => exited,
    async stop() {
      if (exited) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
      }, 5_000);
      await exitPromise;
      clearTimeout(timer);
    },
    /** The workbench URL for a folder, optionally with a development extension and its tests. */
    workbenchUrl({ folder: f = folder, extensionDevelopmentPath, extensionTestsPath } = {}) {
      const q = new URLSearchParams();
      if (f) q.set('folder', f);
      const payload = [];
      const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
      if (extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(extensionDevelopmentPath)]);
      if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
      if (payload.length) q.set('payload', JSON.stringify(payload));
      return `${url}/?${q.toString()}`;
    },
  };

  try {
    await waitFor(
      `code-server to answer on ${url}/healthz`,
      async () => {
        if (exited) throw Object.assign(new Error(`code-server exited early (${JSON.stringify(exited)}):\n${tail(readLog())}`), { fatal: true });
        const res = await fetch(`${url}/healthz`).catch(() => undefined);
        return res?.ok;
      },
      { timeoutMs, intervalMs: 200 },
    );
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** Every log file VS Code wrote under the user-data dir (extension host logs included). */
export function vscodeLogFiles(userDataDir) {
  const root = path.join(userDataDir, 'logs');
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { recursive: true })
    .map((p) => path.join(root, p))
    .filter((p) => fs.statSync(p).isFile());
}

/** Reads the VS Code version out of code-server's log ("code-server 4.99.4 … with Code 1.99.3" is on --help only). */
export function codeVersionFromProduct() {
  const product = path.join(path.dirname(CODE_SERVER_ENTRY), '..', '..', 'lib', 'vscode', 'package.json');
  try {
    return JSON.parse(fs.readFileSync(product, 'utf8')).version;
  } catch {
    return undefined;
  }
}
