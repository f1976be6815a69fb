// The original's core/views.py.
import type { Request, Response } from 'express';
import type { AppContext } from '../context.ts';
import { sendDjangoJson } from '../drf/api.ts';
import { json, messageBody, type ViewDocs } from '../drf/openapi.ts';

const WARM = { message: 'Server is warm!' } as const;

/** warmup: a plain Django view (JsonResponse), any method. */
export const warmup = Object.assign(
  async function warmup(_ctx: AppContext, _req: Request, res: Response): Promise<void> {
    sendDjangoJson(res, 200, WARM);
  },
  {
    docs: {
      GET: {
        summary: 'Wake the server (a plain Django view: every method answers the same, without authentication)',
        responses: { 200: json('Always', messageBody(WARM.message)) },
      },
    } satisfies ViewDocs,
  },
);
