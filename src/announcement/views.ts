// The original's Announcement/views.py: POST create/ for admins.
import { apiView } from '../drf/api.ts';
import { jsonError, validationError } from '../drf/errors.ts';
import { nowTimestamp } from '../drf/datetime.ts';
import { FieldError, isErrors, serializerInput } from '../drf/fields/index.ts';
import * as q from './queries.ts';
import { isAnnouncementInput, receiverIds, validateAnnouncement } from './validation.ts';

/** POST create/ — AnnouncementCreateAPIView: 201 {"message": ...}; the announcement and its receivers in one transaction. */
export const createAnnouncement = apiView({
  name: 'Announcement Create Api',
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
