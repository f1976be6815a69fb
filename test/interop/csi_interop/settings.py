# Minimal Django settings for the interop peer: the original's CHANNEL_LAYERS (channels_redis
# RedisChannelLayer, hosts = REDIS_URL's hosts, every option at its default). INTEROP_PREFIX only isolates
# test runs; it defaults to channels_redis's "asgi".
import os

SECRET_KEY = "csi-chat-interop-test"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["channels"]
DATABASES = {}
USE_TZ = True
ASGI_APPLICATION = "csi_interop.asgi.application"
# REDIS_URL may list several hosts separated by commas, as csi-chat reads it: the `hosts` list, in order.
_layer_config = {"hosts": [h.strip() for h in os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").split(",")]}
if os.environ.get("INTEROP_PREFIX"):
    _layer_config["prefix"] = os.environ["INTEROP_PREFIX"]
CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": _layer_config}}
