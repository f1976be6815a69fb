// The URL table: the original's core/urls.py (each app's urls.py included under its prefix, first match
// wins) and its websocket_urlpatterns (Channels' URLRouter in core/asgi.py). src/app.ts serves both.
import { include, path, type UrlPattern } from './drf/router.ts';
import type { ApiViewFn } from './drf/api.ts';
import type { UpgradeHandler } from './realtime/router.ts';
import { warmup } from './core/views.ts';
import { urlpatterns as user } from './user/urls.ts';
import { urlpatterns as chat } from './chat/urls.ts';
import { urlpatterns as notification } from './notification/urls.ts';
import { urlpatterns as event } from './event/urls.ts';
import { urlpatterns as task } from './task/urls.ts';
import { urlpatterns as domain } from './domain/urls.ts';
import { urlpatterns as attendance } from './attendance/urls.ts';
import { urlpatterns as announcement } from './announcement/urls.ts';
import { urlpatterns as homepage } from './homepage/urls.ts';
import { connectChat } from './chat/consumer.ts';
import { connectNotifications } from './notification/sockets.ts';

export const urlpatterns: UrlPattern<ApiViewFn>[] = [
  path('api/warmup/', warmup),
  path('api/user/', include(user)),
  path('api/chat/', include(chat)),
  path('api/notifications/', include(notification)),
  path('api/event/', include(event)),
  path('api/task/', include(task)),
  path('api/domain/', include(domain)),
  path('api/attendance/', include(attendance)),
  path('api/announcement/', include(announcement)),
  path('api/homepage/', include(homepage)),
];

export const websocketUrlpatterns: UrlPattern<UpgradeHandler>[] = [
  path('ws/chat/<int:room_id>/', connectChat),
  path('ws/notifications/', connectNotifications),
];
