// Media storage behind one interface: Cloudinary (the original's CloudinaryField) or local disk in the
// embedded mode. Stored values are the strings that go into the CharField columns.

export interface FileToStore {
  buffer: Buffer;
  filename: string;
  mimetype: string;
}

export interface MediaStorage {
  readonly kind: 'cloudinary' | 'local';
  /** Uploads and returns the value to store in the column (CloudinaryField format for Cloudinary). */
  save(file: FileToStore, opts?: { resourceType?: 'image' | 'raw' | 'auto'; folder?: string }): Promise<string>;
  /** The URL the API shows for a stored value (null/'' → null), like CloudinaryResource.url. */
  url(stored: string | null | undefined): string | null;
  /** Removes a stored file when a failed request must leave nothing behind (best effort). */
  remove?(stored: string): Promise<void>;
}
