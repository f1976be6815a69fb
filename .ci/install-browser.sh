#!/usr/bin/env bash
# Installs Debian's chromium for the admin's browser test (test/admin/browser.test.ts, driven by
# playwright-core with executablePath /usr/bin/chromium) when it is missing. Called by .ci/run, which
# carries on if this fails; the browser test then fails in CI (CI=true) with the reason.
set -uo pipefail
BIN=${CHROMIUM_PATH:-/usr/bin/chromium}

if [ -x "$BIN" ]; then
  echo "[browser] $("$BIN" --version 2>/dev/null | tail -n1)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "[browser] apt-get not available; cannot install chromium" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else echo "[browser] not root and no sudo" >&2; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do
  if [ "$attempt" -gt 1 ] || ! apt-cache show chromium >/dev/null 2>&1; then
    timeout 300 $SUDO apt-get update -qq || true
  fi
  if timeout 900 $SUDO apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=120 chromium fonts-dejavu-core; then
    break
  fi
  echo "[browser] apt-get install failed (attempt $attempt)" >&2
  sleep $((attempt * 5))
done
if [ -x "$BIN" ]; then
  echo "[browser] installed: $("$BIN" --version 2>/dev/null | tail -n1)"
  exit 0
fi
echo "[browser] chromium still missing at $BIN" >&2
exit 1
