import type { CloudinaryConfig } from '../config.ts';
import type { FileToStore, MediaStorage } from './types.ts';
import { cloudinaryUrl } from './cloudinaryUrl.ts';

/** Cloudinary through the official SDK (uploads are completed in the chat REST issue #5). */
export class CloudinaryStorage implements MediaStorage {
  readonly kind = 'cloudinary' as const;
  constructor(private readonly cfg: CloudinaryConfig) {}

  async save(_file: FileToStore): Promise<string> {
    throw new Error('Cloudinary uploads are not implemented yet');
  }

  url(stored: string | null | undefined): string | null {
    return cloudinaryUrl(stored, this.cfg.cloudName, this.cfg.secure);
  }
}
