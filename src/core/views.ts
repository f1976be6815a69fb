// The original's core/views.py.
import type { Request, Response } from 'express';
import type { AppContext } from '../context.ts';
import { sendDjangoJson } from '../drf/api.ts';

/** warmup: a plain Django view (JsonResponse), any method. */
export async function warmup(_ctx: AppContext, _req: Request, res: Response): Promise<void> {
  sendDjangoJson(res, 200, { message: 'Server is warm!' });
}
