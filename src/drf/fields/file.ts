// FileField and ImageField (DRF 3.15 on Django's forms.ImageField): a submitted, non-empty file; for
// images one Pillow would open (checked by signature).
import type { UploadedFile } from '../api.ts';
import { makeField, type Field, type RequiredOf } from './field.ts';
import { FieldError, isFile, MSG } from './input.ts';

/** What Pillow would open: PNG, JPEG, GIF, WebP, BMP, TIFF, ICO (signature check). */
function looksLikeImage(b: Buffer): boolean {
  const starts = (sig: number[] | string, at = 0) => {
    const bytes = typeof sig === 'string' ? [...Buffer.from(sig, 'latin1')] : sig;
    return b.length >= at + bytes.length && bytes.every((x, i) => b[at + i] === x);
  };
  return (
    starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) ||
    starts([0xff, 0xd8, 0xff]) ||
    starts('GIF87a') ||
    starts('GIF89a') ||
    (starts('RIFF') && starts('WEBP', 8)) ||
    (starts('BM') && b.length > 26) ||
    starts([0x49, 0x49, 0x2a, 0x00]) ||
    starts([0x4d, 0x4d, 0x00, 0x2a]) ||
    starts([0x00, 0x00, 0x01, 0x00])
  );
}

/** The messages an uploaded file gets from FileField (and ImageField when `image`), in DRF's order. */
export function fileProblem(f: UploadedFile, image: boolean): string | null {
  if (f.size === 0 || f.buffer.length === 0) return MSG.emptyFile;
  if (image && !looksLikeImage(f.buffer)) return MSG.invalidImage;
  return null;
}

function fileLike<const O extends { required?: boolean }>(kind: string, opts: O, image: boolean): Field<UploadedFile, RequiredOf<O>> {
  const field = makeField<UploadedFile, RequiredOf<O>>({
    kind,
    rules: { required: opts.required ?? true, allowNull: false },
    toInternal(data) {
      if (!isFile(data)) throw new FieldError([MSG.notAFile]);
      const problem = fileProblem(data, image);
      if (problem) throw new FieldError([problem]);
      return data;
    },
  });
  return {
    ...field,
    // FileField's `required` message.
    async run(data, partial) {
      try {
        return await field.run(data, partial);
      } catch (err) {
        if (err instanceof FieldError && err.messages[0] === MSG.required) throw new FieldError([MSG.noFile]);
        throw err;
      }
    },
  };
}

/** serializers.FileField(**opts) */
export function file<const O extends { required?: boolean }>(opts: O = {} as O): Field<UploadedFile, RequiredOf<O>> {
  return fileLike('FileField', opts, false);
}

/** serializers.ImageField(**opts) */
export function image<const O extends { required?: boolean }>(opts: O = {} as O): Field<UploadedFile, RequiredOf<O>> {
  return fileLike('ImageField', opts, true);
}
