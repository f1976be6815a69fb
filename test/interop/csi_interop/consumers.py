# A chat consumer with the original's group handling and handler key access (docs/compat-notes.md §1.15):
# required keys are read with event["..."] (a missing one raises KeyError and kills the socket, as in
# the original), optional ones with .get(). Each handler writes the event as a JSON frame.
import json

from channels.generic.websocket import AsyncWebsocketConsumer


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.room_group_name = f"chat_{self.scope['url_route']['kwargs']['room_id']}"
        await self.channel_layer.group_add(self.room_group_name, self.channel_name)
        await self.accept()
        await self.send(text_data=json.dumps({"interop": "joined", "channel": self.channel_name}))

    async def disconnect(self, close_code):
        await self.channel_layer.group_discard(self.room_group_name, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        # The test drives Django-side sends through the layer directly; a frame from the client is a
        # raw group_send request.
        await self.channel_layer.group_send(self.room_group_name, json.loads(text_data))

    async def chat_message(self, event):
        frame = {
            "message": event["message"],
            "sender": event["sender"],
            "message_type": event["message_type"],
            "id": event["id"],
            "attachment": event.get("attachment", None),
            "created_at": event["created_at"],
            "room": event["room"],
            "parent_message_id": event.get("parent_message_id"),
            "is_self": event["sender"].get("id") == -1,
        }
        await self.send(text_data=json.dumps({"handler": "chat_message", "frame": frame}))

    async def chat_message_edited(self, event):
        await self.send(text_data=json.dumps({"handler": "chat_message_edited", "frame": {"id": event["id"], "new_content": event["new_content"]}}))

    async def chat_message_deleted(self, event):
        await self.send(text_data=json.dumps({"handler": "chat_message_deleted", "frame": {"id": event["id"]}}))

    async def chat_message_reacted(self, event):
        await self.send(text_data=json.dumps({"handler": "chat_message_reacted", "frame": {"id": event["id"], "reactions": event["reactions"]}}))

    async def chat_typing(self, event):
        await self.send(text_data=json.dumps({"handler": "chat_typing", "frame": {"sender": event["sender"], "is_typing": event["is_typing"], "sender_id": event["sender"]["id"]}}))

    async def chat_message_pinned(self, event):
        await self.send(text_data=json.dumps({"handler": "chat_message_pinned", "frame": {"id": event["id"], "is_pinned": event["is_pinned"], "pinned_at": event.get("pinned_at")}}))


class NotificationConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.group_name = f"notifications_{self.scope['url_route']['kwargs']['user_id']}"
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        await self.send(text_data=json.dumps({"interop": "joined", "channel": self.channel_name}))

    async def disconnect(self, close_code):
        await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def send_notification(self, event):
        await self.send(text_data=json.dumps({"handler": "send_notification", "frame": {"notification": event["notification"]}}))
