#!/usr/bin/python3
# The Django side of test/interop/django-sessions.test.ts: Django's own session store and crypto
# (django.contrib.sessions SessionStore.encode/decode, salted_hmac, the CSRF token masking) on the
# test's SECRET_KEY, no database needed. Reads one JSON command per line, answers one JSON line:
#   {"op": "decode", "data": s}           -> {"op": "decode", "session": {...}}  ({} when it does not verify)
#   {"op": "encode", "session": {...}}    -> {"op": "encode", "data": s}
#   {"op": "auth_hash", "password": p}    -> {"op": "auth_hash", "hash": h}  (get_session_auth_hash)
#   {"op": "unmask", "token": t}          -> {"op": "unmask", "secret": s}   (CSRF token → secret)
import json
import os
import sys

import django
from django.conf import settings

settings.configure(
    SECRET_KEY=os.environ["INTEROP_SECRET_KEY"],
    INSTALLED_APPS=["django.contrib.sessions"],
    SESSION_SERIALIZER="django.contrib.sessions.serializers.JSONSerializer",
    DATABASES={},
    USE_TZ=True,
)
django.setup()

from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.middleware import csrf  # noqa: E402
from django.utils.crypto import salted_hmac  # noqa: E402


def answer(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


answer({"op": "ready", "django": django.get_version()})
for line in sys.stdin:
    cmd = json.loads(line)
    op = cmd["op"]
    try:
        if op == "decode":
            answer({"op": op, "session": SessionStore().decode(cmd["data"])})
        elif op == "encode":
            answer({"op": op, "data": SessionStore().encode(cmd["session"])})
        elif op == "auth_hash":
            key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
            answer({"op": op, "hash": salted_hmac(key_salt, cmd["password"], algorithm="sha256").hexdigest()})
        elif op == "unmask":
            unmask = getattr(csrf, "_unmask_cipher_token", None) or getattr(csrf, "_unsalt_cipher_token")
            answer({"op": op, "secret": unmask(cmd["token"])})
        elif op == "quit":
            break
        else:
            answer({"op": op, "error": "unknown op"})
    except Exception as exc:  # noqa: BLE001 - reported to the test
        answer({"op": op, "error": repr(exc)})
