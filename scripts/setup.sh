#!/usr/bin/env bash
# Installs what `npm start` and `npm test` need and is missing: the Debian packages (through
# apt-get, as root or with sudo) and the npm packages. Says what it installs; stops with a clear
# message where it can't.
set -euo pipefail
cd "$(dirname "$0")/.."

# nginx with the Lua module and the Lua libraries it runs with; luajit2 is the LuaJIT that
# libnginx-mod-http-lua is built against (Debian's plain `luajit` conflicts with it); curl for
# the tutorial's last step (test/kit/tutorial.test.ts).
packages=(nginx libnginx-mod-http-lua libnginx-mod-http-ndk lua-resty-core lua-resty-lrucache
  lua-cjson lua-busted luajit2 luarocks liblua5.1-0-dev prometheus wrk chromium openssl procps
  curl)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]} > 0)); then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: this machine has no apt-get; install them (or their equivalents) by hand." >&2
    exit 1
  fi
  if [[ $(id -u) -eq 0 ]]; then sudo=()
  elif command -v sudo >/dev/null 2>&1; then sudo=(sudo)
  else
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run as root, or install sudo, or run: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/resty-ts-apt.log 2>&1; then
    tail -20 /tmp/resty-ts-apt.log >&2
    echo "setup: apt-get could not install: ${missing[*]} (full log: /tmp/resty-ts-apt.log)" >&2
    exit 1
  fi
fi

# npm packages: install when node_modules is missing or older than the lock file.
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
