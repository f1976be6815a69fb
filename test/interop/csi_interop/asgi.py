from django.urls import path
from channels.routing import URLRouter

from .consumers import ChatConsumer, NotificationConsumer

application = URLRouter([
    path("ws/chat/<int:room_id>/", ChatConsumer.as_asgi()),
    path("ws/notifications/<int:user_id>/", NotificationConsumer.as_asgi()),
])
