import type { UrlRouter } from '../drf/router.ts';
import * as v from './views.ts';

/** The original's Chat/urls.py under /api/chat/ (issue #5), in its order (first match wins). */
export function registerChatRoutes(router: UrlRouter): void {
  const p = 'api/chat/';
  router
    .add(`${p}groups/`, v.userRooms)
    .add(`${p}groups/<str:room_id>/members/`, v.roomMembers)
    .add(`${p}groups/<str:room_id>/messages/`, v.roomMessages)
    .add(`${p}groups/list/`, v.roomList)
    .add(`${p}create-group/`, v.createRoom)
    .add(`${p}delete-group/<int:room_id>/`, v.deleteRoom)
    .add(`${p}edit-group/<int:room_id>/`, v.editRoom)
    .add(`${p}groups/<int:room_id>/messages/upload/`, v.messageUpload)
    .add(`${p}group/<int:room_id>/remove-yourself/`, v.removeYourself)
    .add(`${p}group/<int:room_id>/transfer-ownership/`, v.transferOwnership)
    .add(`${p}group/<int:room_id>/add-yourself/`, v.addYourself)
    .add(`${p}groups/search/`, v.groupSearch)
    .add(`${p}groups/<int:room_id>/search/members/`, v.memberSearch)
    .add(`${p}groups/<int:room_id>/mark-as-read/`, v.markAsRead);
}
