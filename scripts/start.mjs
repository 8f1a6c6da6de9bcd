// `npm start`: opens examples/mnist in a real VS Code with Distillery loaded.
//   - desktop VS Code when `code` is on PATH (as a development extension, --wait);
//   - otherwise code-server 4.99.4 (VS Code 1.99.3) on 127.0.0.1, with Distillery linked into a
//     dedicated extensions folder as an installed extension; open the printed URL.
// Stays running until Ctrl+C. Options: --folder <dir> (default examples/mnist), --port <n>.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { spawn, spawnSync } from 'node:child_process';
import { REPO_ROOT, TESTBED_DIR, CODE_SERVER_VERSION, ensureTestbed, freePort } from './testbed/util.mjs';
import { codeVersionFromProduct, startCodeServer } from './testbed/codeServer.mjs';

const { values: opts } = parseArgs({
  options: {
    folder: { type: 'string', default: path.join(REPO_ROOT, 'examples', 'mnist') },
    port: { type: 'string', default: process.env.PORT },
  },
});
const folder = path.resolve(opts.folder);
if (!fs.existsSync(folder)) throw new Error(`${folder} does not exist`);

const build = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build.mjs')], { cwd: REPO_ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

// `code` on PATH, unless it is the remote CLI of a VS Code server's own terminal.
const onPath = spawnSync('sh', ['-c', 'command -v code'], { encoding: 'utf8' }).stdout.trim();
const desktop = onPath && !fs.realpathSync(onPath).includes(`${path.sep}remote-cli${path.sep}`) ? onPath : '';
if (desktop) {
  console.log(`Opening ${folder} in desktop VS Code (${desktop}) with Distillery from ${REPO_ROOT}. Ctrl+C to stop.`);
  const child = spawn(desktop, ['--new-window', '--wait', `--extensionDevelopmentPath=${REPO_ROOT}`, folder], { stdio: 'inherit' });
  process.on('SIGINT', () => child.kill('SIGTERM'));
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  ensureTestbed();
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  // Kept between starts, so that settings and window state survive.
  const stateDir = path.join(TESTBED_DIR, 'start');
  const extensionsDir = path.join(stateDir, 'extensions');
  fs.mkdirSync(extensionsDir, { recursive: true });
  for (const name of fs.readdirSync(extensionsDir)) {
    if (name.startsWith(`${manifest.publisher}.${manifest.name}-`)) fs.rmSync(path.join(extensionsDir, name), { recursive: true, force: true });
  }
  fs.symlinkSync(REPO_ROOT, path.join(extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`), 'dir');

  let port = opts.port ? Number(opts.port) : 8080;
  if (!opts.port && !(await isFree(port))) port = await freePort();
  const server = await startCodeServer({ stateDir, folder, port });
  console.log(`
  VS Code ${codeVersionFromProduct()} (code-server ${CODE_SERVER_VERSION}) with Distillery ${manifest.version} installed:

    ${server.workbenchUrl({ folder })}

  Open kd.json and run "Distill: Start Run" from the command palette (F1).
  The extension is linked from ${REPO_ROOT}; after \`npm run build\`, run "Developer: Reload Window".
  code-server log: ${server.logFile}
  Ctrl+C to stop.
`);
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const timer = setInterval(() => {
    const exited = server.exited();
    if (exited) {
      console.error(`code-server exited (${JSON.stringify(exited)}); see ${server.logFile}`);
      clearInterval(timer);
      process.exit(1);
    }
  }, 1_000);
}

async function isFree(port) {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
