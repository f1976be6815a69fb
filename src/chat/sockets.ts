import type { WsRouter } from '../ws.ts';
import { connectChat } from './consumer.ts';

/** /ws/chat/<int:room_id>/ — the chat consumer (src/chat/consumer.ts). */
export function registerChatSockets(ws: WsRouter): void {
  ws.add('ws/chat/<int:room_id>/', connectChat);
}
