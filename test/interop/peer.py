#!/usr/bin/python3
# The Django peer for test/interop: real Django + Channels + channels_redis (Debian packages) on the
# test's REDIS_URL. Reads JSON commands on stdin, one per line, writes JSON events on stdout:
#   {"op": "connect", "path": "/ws/chat/5/"}       -> {"op": "connect", "conn": n, "channel": name}
#                                                     then {"event": "frame", "conn": n, "data": {...}}
#                                                     and {"event": "closed", "conn": n, "error": ...}
#   {"op": "group_send", "group": g, "message": m}  -> {"op": "group_send", "ok": true}
#   {"op": "send", "channel": c, "message": m}      -> {"op": "send", "ok": true}
#   {"op": "listen", "group": g}  (a bare layer channel, no consumer) -> {"op": "listen", "channel": c}
#                                                     then {"event": "message", "channel": c, "message": m}
#   {"op": "disconnect", "conn": n}, {"op": "quit"}
import asyncio
import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csi_interop.settings")

import django  # noqa: E402

django.setup()

import channels  # noqa: E402
import channels_redis  # noqa: E402
from channels.layers import get_channel_layer  # noqa: E402
from channels.testing import WebsocketCommunicator  # noqa: E402

from csi_interop.asgi import application  # noqa: E402


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def jsonable(value):
    if isinstance(value, (bytes, bytearray)):
        return {"__bytes__": bytes(value).hex()}
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, float):
        return {"__float__": value}
    return value


async def pump_socket(n, comm):
    try:
        while True:
            got = await comm.output_queue.get()
            if got["type"] == "websocket.send":
                out({"event": "frame", "conn": n, "data": json.loads(got["text"])})
            elif got["type"] == "websocket.close":
                out({"event": "closed", "conn": n, "code": got.get("code")})
                return
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # the consumer crashed (e.g. KeyError in a handler)
        out({"event": "closed", "conn": n, "error": repr(exc)})


async def watch_app(n, comm):
    try:
        await comm.future
        out({"event": "app_exit", "conn": n})
    except asyncio.CancelledError:
        pass
    except Exception as exc:
        out({"event": "closed", "conn": n, "error": "".join(traceback.format_exception_only(type(exc), exc)).strip()})


async def listen(layer, channel):
    while True:
        msg = await layer.receive(channel)
        out({"event": "message", "channel": channel, "message": jsonable(msg)})


async def main():
    layer = get_channel_layer()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    conns = {}
    tasks = []
    out({"op": "ready", "versions": {"django": django.__version__, "channels": channels.__version__, "channels_redis": channels_redis.__version__}, "client_prefix": layer.client_prefix})
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = json.loads(line)
        op = cmd["op"]
        try:
            if op == "connect":
                comm = WebsocketCommunicator(application, cmd["path"])
                connected, _ = await comm.connect(timeout=10)
                joined = json.loads(await comm.receive_from(timeout=10))
                n = len(conns) + 1
                conns[n] = comm
                tasks.append(asyncio.ensure_future(pump_socket(n, comm)))
                tasks.append(asyncio.ensure_future(watch_app(n, comm)))
                out({"op": op, "conn": n, "connected": connected, "channel": joined["channel"]})
            elif op == "disconnect":
                await conns[cmd["conn"]].disconnect()
                out({"op": op, "ok": True})
            elif op == "group_send":
                await layer.group_send(cmd["group"], cmd["message"])
                out({"op": op, "ok": True})
            elif op == "send":
                await layer.send(cmd["channel"], cmd["message"])
                out({"op": op, "ok": True})
            elif op == "listen":
                channel = await layer.new_channel()
                await layer.group_add(cmd["group"], channel)
                tasks.append(asyncio.ensure_future(listen(layer, channel)))
                out({"op": op, "channel": channel})
            elif op == "hash":
                out({"op": op, "ring_size": layer.ring_size, "indexes": [layer.consistent_hash(v) for v in cmd["values"]]})
            elif op == "quit":
                break
            else:
                out({"op": op, "error": "unknown op"})
        except Exception as exc:
            out({"op": op, "error": repr(exc)})
    for comm in conns.values():
        try:
            await comm.disconnect(timeout=2)
        except Exception:
            pass
    for t in tasks:
        t.cancel()


if __name__ == "__main__":
    asyncio.run(main())
