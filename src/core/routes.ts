import type { UrlRouter } from '../drf/router.ts';
import { sendDjangoJson } from '../drf/api.ts';

export function registerCoreRoutes(router: UrlRouter): void {
  // core/views.py warmup: a plain Django view (JsonResponse), any method.
  router.add('api/warmup/', async (_ctx, _req, res) => sendDjangoJson(res, 200, { message: 'Server is warm!' }));
}
