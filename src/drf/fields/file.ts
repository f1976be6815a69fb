// FileField and ImageField (DRF 3.15 on Django's forms.ImageField): a submitted, non-empty file; for
// images one that decodes as a raster image (Django opens it with Pillow; csi-chat decodes it with sharp).
import sharp from 'sharp';
import type { UploadedFile } from '../api.ts';
import { makeField, type Field, type RequiredOf } from './field.ts';
import { FieldError, isFile, MSG } from './input.ts';

/**
 * The formats an image field takes: those Pillow opens that the decoder reads (Pillow's BMP and ICO are not
 * among them), never SVG (a document with scripts, not a raster image).
 */
const RASTER_FORMATS = new Set(['jpeg', 'png', 'gif', 'webp', 'tiff']);

/**
 * Django's ImageField opens and verifies the upload with Pillow; csi-chat decodes it with sharp (libvips):
 * the file must be a whole raster image, not bytes that only start like one (a GIF-prefixed HTML page
 * passed the signature check this replaced: issue 13 #6). Shrink-on-load to a tiny thumbnail keeps the
 * work and memory small, and libvips runs off the event loop. Images over Pillow's decompression-bomb
 * bound (2 × MAX_IMAGE_PIXELS) are refused as Django refuses them.
 */
export async function isDecodableImage(b: Buffer): Promise<boolean> {
  try {
    const image = sharp(b, { failOn: 'error', limitInputPixels: 2 * 89_478_485, sequentialRead: true, animated: false });
    const meta = await image.metadata();
    if (!meta.format || !RASTER_FORMATS.has(meta.format)) return false;
    await image.resize(8, 8, { fit: 'inside' }).raw().toBuffer();
    return true;
  } catch {
    return false;
  }
}

/** The messages an uploaded file gets from FileField (and ImageField when `image`), in DRF's order. */
export async function fileProblem(f: UploadedFile, image: boolean): Promise<string | null> {
  if (f.size === 0 || f.buffer.length === 0) return MSG.emptyFile;
  if (image && !(await isDecodableImage(f.buffer))) return MSG.invalidImage;
  return null;
}

function fileLike<const O extends { required?: boolean }>(kind: string, opts: O, image: boolean): Field<UploadedFile, RequiredOf<O>> {
  const field = makeField<UploadedFile, RequiredOf<O>>({
    kind,
    rules: { required: opts.required ?? true, allowNull: false },
    async toInternal(data) {
      if (!isFile(data)) throw new FieldError([MSG.notAFile]);
      const problem = await fileProblem(data, image);
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
