// EventSerializer (DRF 3.15 ModelSerializer fields of the Event model) and Event.clean(). Values come
// out ready for the columns: datetimes as UTC timestamptz literals with microseconds, amount as decimal
// text with two places.
import type { RequestData, UploadedFile } from '../drf/api.ts';
import { boolean, char, choice, datetime, decimal, fileProblem, image, type SerializerInput } from '../drf/fields/index.ts';
import { parseTimestamp } from '../drf/datetime.ts';
import { serializer, type RunResult } from '../drf/serializer.ts';
import type { EventValues } from './queries.ts';

export const STATUS_CHOICES = ['upcoming', 'ongoing', 'previous'] as const;

/** EventSerializer's writable fields, in declaration order. */
export const eventSerializer = serializer({
  title: char({ maxLength: 255 }),
  description: char(),
  guidelines: char({ required: false, allowNull: true, allowBlank: true }),
  venue: char({ required: false, allowNull: true, allowBlank: true, maxLength: 255 }),
  registration_start_date: datetime({ required: false, allowNull: true }),
  registration_end_date: datetime({ required: false, allowNull: true }),
  event_date: datetime({ required: false, allowNull: true }),
  poster: image(),
  status: choice({ choices: STATUS_CHOICES, required: false }),
  is_registrations_open: boolean({ required: false }),
  payment_required: boolean({ required: false }),
  amount: decimal({ maxDigits: 10, decimalPlaces: 2, required: false, allowNull: true }),
});

export interface EventInput {
  values: EventValues;
  poster: UploadedFile | null;
}

/** EventSerializer(data=...) (partial for edit/): the errors body or the column values and the poster. */
export async function validateEvent(input: SerializerInput, partial: boolean): Promise<RunResult<EventInput>> {
  const result = await eventSerializer.run(input, { partial });
  if (!result.ok) return result;
  const { poster, ...values } = result.data;
  return { ok: true, data: { values, poster: poster ?? null } };
}

/** Compares two timestamptz literals (whole seconds, then microseconds). */
function after(a: string, b: string): boolean {
  const x = parseTimestamp(a);
  const y = parseTimestamp(b);
  return x.secondsMs > y.secondsMs || (x.secondsMs === y.secondsMs && x.micro > y.micro);
}

/** Event.clean() on the row as it would be saved (its first failing rule), null when clean. */
export function eventCleanError(v: {
  registration_start_date: string | null;
  registration_end_date: string | null;
  event_date: string | null;
  payment_required: boolean;
  amount: string | null;
}): string | null {
  const start = v.registration_start_date;
  const end = v.registration_end_date;
  const event = v.event_date;
  if (start && end && after(start, end)) return 'registration_start_date should be less than registration_end_date';
  if (end && event && after(end, event)) return 'registration_end_date should be less than event_date';
  if (start && event && after(start, event)) return 'registration_start_date should be less than event_date';
  const amount = v.amount === null ? null : Number(v.amount);
  const truthy = amount !== null && amount !== 0;
  if (v.payment_required && !truthy) return 'Amount is required if payment is required';
  if (truthy && !v.payment_required) return 'Payment is required if amount is provided';
  if (truthy && amount! < 0) return 'Amount should be greater than 0';
  return null;
}

/** The gallery parts (request.FILES.getlist('gallery')): each must be a non-empty image. */
export async function galleryFiles(data: RequestData): Promise<{ files: UploadedFile[] } | { error: string }> {
  const files = data.fileLists?.get('gallery') ?? (data.files.has('gallery') ? [data.files.get('gallery')!] : []);
  for (const f of files) {
    const problem = await fileProblem(f, true);
    if (problem) return { error: problem };
  }
  return { files };
}
