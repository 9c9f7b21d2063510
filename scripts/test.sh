#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine, then runs every test.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: Debian's Chromium for the browser tests (never a downloaded browser build), nginx
# for the reverse-proxy test of docs/deploy/nginx.conf, and the sqlite3 shell for the backup test.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/bin/sqlite3 ] || missing+=(sqlite3)
if [ "${#missing[@]}" -gt 0 ] && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
chromium="${PAPERWIRE_TEST_CHROMIUM:-$(command -v chromium || echo /usr/bin/chromium)}"
if [ ! -x "$chromium" ]; then
  echo "scripts/test.sh: no Chromium at $chromium (run this as root to install it, or" \
    "apt-get install chromium): the browser tests will fail" >&2
fi
for tool in /usr/sbin/nginx /usr/bin/sqlite3; do
  if [ ! -x "$tool" ]; then
    echo "scripts/test.sh: no $tool (run this as root to install it, or apt-get install" \
      "$(basename "$tool")): the proxy and backup tests will fail" >&2
  fi
done

# PostgreSQL: the suite runs every database test on it as well as on SQLite.
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if [ -d /etc/postgresql ] && [ "$(id -u)" = 0 ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi

# Python: a project virtualenv with the package and its test extras.
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
.venv/bin/python -m pip install -q -e '.[test]' 2>&1 | grep -v '^WARNING: Location' || true

# axe-core, the accessibility engine the browser tests inject into pages (tests/web/axe.py): the
# npm package at a pinned version, in a git-ignored folder; never from a CDN.
AXE_VERSION=4.10.3
if [ ! -f .cache/axe/node_modules/axe-core/axe.min.js ] \
  || ! grep -q "\"version\": \"$AXE_VERSION\"" .cache/axe/node_modules/axe-core/package.json; then
  if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  fi
  npm install --prefix .cache/axe --no-audit --no-fund --silent "axe-core@$AXE_VERSION"
fi

mkdir -p test-artifacts
exec .venv/bin/python -m pytest -n 3 --dist loadfile "$@"
