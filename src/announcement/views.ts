// The original's Announcement/views.py: POST create/ for admins.
import { apiView } from '../drf/api.ts';
import { jsonError, validationError } from '../drf/errors.ts';
import { bodyOf, errorBody, fieldErrorsBody, json, messageBody } from '../drf/openapi.ts';
import { announcementSerializer } from './validation.ts';

/** The serializer's fields and targeting_data (by related_to: D a domain, T a task, M a list of users). */
const ANNOUNCEMENT_INPUT = {
  ...announcementSerializer.schema,
  properties: {
    ...(announcementSerializer.schema.properties as object),
    targeting_data: { description: 'JSON (a JSON text in a form): who receives it, by related_to (D: domain, T: task, M: user ids)' },
  },
};
import { nowTimestamp } from '../drf/datetime.ts';
import { FieldError, isErrors, serializerInput } from '../drf/fields/index.ts';
import * as q from './queries.ts';
import { isAnnouncementInput, receiverIds, validateAnnouncement } from './validation.ts';

/** POST create/ — AnnouncementCreateAPIView: 201 {"message": ...}; the announcement and its receivers in one transaction. */
export const createAnnouncement = apiView({
  name: 'Announcement Create Api',
  docs: {
    POST: {
      summary: 'Send an announcement (admins only)',
      body: bodyOf(ANNOUNCEMENT_INPUT, { form: true }),
      responses: {
        201: json('Sent', messageBody('Announcement has been sent to all required users.')),
        400: json('Invalid fields', fieldErrorsBody(ANNOUNCEMENT_INPUT)),
        403: json('Not an admin', errorBody('Only admin users can create announcements.')),
      },
    },
  },
  methods: {
    async POST(req) {
      const user = req.user!;
      if (user.role !== 'admin') throw jsonError(403, { error: 'Only admin users can create announcements.' });
      const input = serializerInput(await req.data());
      if (isErrors(input)) throw validationError(input);
      const result = await validateAnnouncement(input);
      if (!isAnnouncementInput(result)) throw validationError(result);
      const knex = req.ctx.db.knex;
      await knex.transaction(async (trx) => {
        let ids: number[];
        try {
          ids = await receiverIds(trx, result.relatedTo, result.targeting);
        } catch (err) {
          if (err instanceof FieldError) throw validationError({ targeting_data: err.messages });
          throw err;
        }
        const now = nowTimestamp();
        await q.insertAnnouncement(trx, { senderId: user.id, message: result.message, relatedTo: result.relatedTo, now }, ids);
      });
      return { status: 201, body: { message: 'Announcement has been sent to all required users.' } };
    },
  },
});
