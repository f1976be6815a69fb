// The original's Chat/urls.py, in its order (first match wins). Included under api/chat/ by src/urls.ts.
import { path } from '../drf/router.ts';
import * as v from './views.ts';

export const urlpatterns = [
  path('groups/', v.userRooms),
  path('groups/<str:room_id>/members/', v.roomMembers),
  path('groups/<str:room_id>/messages/', v.roomMessages),
  path('groups/list/', v.roomList),
  path('create-group/', v.createRoom),
  path('delete-group/<int:room_id>/', v.deleteRoom),
  path('edit-group/<int:room_id>/', v.editRoom),
  path('groups/<int:room_id>/messages/upload/', v.messageUpload),
  path('group/<int:room_id>/remove-yourself/', v.removeYourself),
  path('group/<int:room_id>/transfer-ownership/', v.transferOwnership),
  path('group/<int:room_id>/add-yourself/', v.addYourself),
  path('groups/search/', v.groupSearch),
  path('groups/<int:room_id>/search/members/', v.memberSearch),
  path('groups/<int:room_id>/mark-as-read/', v.markAsRead),
];
