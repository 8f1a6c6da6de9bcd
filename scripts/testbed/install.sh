#!/usr/bin/env bash
# Installs the real-VS-Code test bed: code-server (VS Code 1.99.3 in a browser) plus the
# Debian packages it and the tests need (chromium to drive the workbench, libkrb5-dev to
# build the kerberos module, ripgrep for search). Idempotent: when everything is already
# there it returns in well under a second.
#
# code-server's own install does not work offline, so we follow its postinstall.sh by hand:
#   - @vscode/ripgrep downloads `rg` from GitHub   -> copy Debian's rg instead
#   - native modules try prebuilt downloads         -> build them with node-gyp (npm registry only)
#   - node-pty runs `npx node-gyp`                  -> needs npm_config_yes=true
set -euo pipefail

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.99.4}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PREFIX="${TESTBED_DIR:-$ROOT/.cache/testbed}"
CS="$PREFIX/node_modules/code-server"
STAMP="$PREFIX/code-server-$CODE_SERVER_VERSION.ok"

log() { printf '[testbed] %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------------------
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null 2>&1; then
    log "missing Debian packages: ${missing[*]} (not root and no sudo; install them first)"
    exit 1
  fi
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- code-server -------------------------------------------------------------------------
if [ -f "$STAMP" ] && [ -f "$CS/out/node/entry.js" ]; then
  log "code-server $CODE_SERVER_VERSION already installed in ${PREFIX#"$ROOT"/}"
  exit 0
fi

start=$SECONDS
export npm_config_yes=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# node-gyp would download Node's headers from nodejs.org; use the installed ones when present.
if [ -z "$(npm config get nodedir 2>/dev/null | grep -v '^undefined$' || true)" ]; then
  node_prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  if [ -f "$node_prefix/include/node/node.h" ]; then export npm_config_nodedir="$node_prefix"; fi
fi

mkdir -p "$PREFIX"
[ -f "$PREFIX/package.json" ] || echo '{ "name": "distillery-testbed", "private": true }' >"$PREFIX/package.json"

log "npm install code-server@$CODE_SERVER_VERSION (scripts off)"
(cd "$PREFIX" && npm install --ignore-scripts --no-save --loglevel=error "code-server@$CODE_SERVER_VERSION")

log "code-server's argon2 (native)"
(cd "$PREFIX" && npm rebuild --loglevel=error argon2)

cd "$CS/lib/vscode"
log "VS Code server dependencies (scripts off)"
npm install --omit=dev --ignore-scripts --loglevel=error
log "VS Code native modules (node-gyp)"
npm rebuild --loglevel=error @vscode/spdlog kerberos native-watchdog node-pty @vscode/deviceid

log "ripgrep from Debian"
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg

# The links code-server's postinstall.sh makes.
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sfn code-linux.sh code-server)
(cd bin/helpers && ln -sfn browser-linux.sh browser.sh)

log "built-in extensions' shared dependencies"
(cd extensions && npm install --omit=dev --ignore-scripts --loglevel=error)

# A smoke check that the natives load under this node before we call it installed.
node -e "
  const r = (m) => require('$CS/lib/vscode/node_modules/' + m);
  r('@vscode/spdlog'); r('node-pty'); r('native-watchdog'); r('kerberos');
  require('$PREFIX/node_modules/argon2');
"

echo "$CODE_SERVER_VERSION" >"$STAMP"
log "code-server $CODE_SERVER_VERSION installed in $((SECONDS - start))s"
