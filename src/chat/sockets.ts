import type { WsRouter } from '../ws.ts';

/** /ws/chat/<int:room_id>/ — the chat consumer (issue #4). */
export function registerChatSockets(_ws: WsRouter): void {}
