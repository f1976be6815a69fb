#!/usr/bin/env bash
# Installs the Django peer of test/interop (Debian's Django, Channels, channels_redis, and psycopg2 for
# the rollback check on Postgres) with apt when they are missing. Called by .ci/run, which carries on
# if this fails; the interop suite then fails
# in CI (CI=true) with the reason, and is pending outside CI.
set -uo pipefail
PY=${INTEROP_PYTHON:-/usr/bin/python3}
PKGS="python3-django python3-django-channels python3-channels-redis python3-daphne python3-msgpack python3-redis python3-psycopg2"
check() { "$PY" -c 'import django, channels, channels_redis, daphne, msgpack, redis, psycopg2' >/dev/null 2>&1; }

if check; then
  echo "[interop] Django peer packages present: $("$PY" -c 'import django, channels, channels_redis; print("django", django.__version__, "channels", channels.__version__, "channels_redis", channels_redis.__version__)')"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "[interop] apt-get not available; cannot install: $PKGS" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else echo "[interop] not root and no sudo" >&2; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do
  # apt-get update only when the package lists do not know the packages yet (or on a retry)
  if [ "$attempt" -gt 1 ] || ! apt-cache show python3-channels-redis >/dev/null 2>&1; then
    timeout 300 $SUDO apt-get update -qq || true
  fi
  # another apt process may hold the lock: wait for it instead of failing at once
  if timeout 600 $SUDO apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=120 $PKGS; then
    break
  fi
  echo "[interop] apt-get install failed (attempt $attempt)" >&2
  sleep $((attempt * 5))
done
if check; then
  echo "[interop] installed: $("$PY" -c 'import django, channels, channels_redis; print("django", django.__version__, "channels", channels.__version__, "channels_redis", channels_redis.__version__)')"
  exit 0
fi
echo "[interop] Django peer packages still missing for $PY" >&2
exit 1
