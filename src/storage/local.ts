// Embedded-mode storage: files on disk under MEDIA_ROOT, served under /media/. Values that are not
// ours (e.g. Cloudinary values from a Django seed) still render as Cloudinary URLs.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FileToStore, MediaStorage } from './types.ts';
import { cloudinaryUrl } from './cloudinaryUrl.ts';

const LOCAL_PREFIX = 'media/';

/** The raster image types a browser may show inline; anything else under /media/ is a download. */
const INLINE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.jpe', '.gif', '.webp']);

/**
 * The headers of a file served from MEDIA_ROOT (issue 13 #6): uploads are the users' bytes, served from the
 * API's own origin, so an uploaded HTML or SVG page must never run there. No sniffing, no active content
 * (a sandboxed, empty Content-Security-Policy), and only safe raster images shown inline; the rest is
 * `Content-Disposition: attachment`.
 */
export function mediaHeaders(res: { setHeader(name: string, value: string): unknown }, filePath: string): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  if (!INLINE_EXTENSIONS.has(path.extname(filePath).toLowerCase())) res.setHeader('Content-Disposition', 'attachment');
}

export class LocalStorage implements MediaStorage {
  readonly kind = 'local' as const;

  constructor(
    private readonly root: string,
    /** e.g. http://localhost:8000 — where /media/ is served. */
    private readonly baseUrl: string,
    private readonly cloudName: string,
  ) {}

  async save(file: FileToStore, opts: { folder?: string } = {}): Promise<string> {
    const ext = path
      .extname(file.filename)
      .toLowerCase()
      .replace(/[^.a-z0-9]/g, '')
      .slice(0, 10);
    const name = crypto.randomBytes(10).toString('hex') + ext;
    const rel = path.posix.join(opts.folder ?? 'uploads', name);
    const full = path.join(this.root, rel);
    await fs.mkdir(path.dirname(full), { recursive: true });
    await fs.writeFile(full, file.buffer);
    return LOCAL_PREFIX + rel;
  }

  url(stored: string | null | undefined): string | null {
    if (!stored) return null;
    if (stored.startsWith(LOCAL_PREFIX)) return `${this.baseUrl}/${stored}`;
    return cloudinaryUrl(stored, this.cloudName);
  }

  async remove(stored: string): Promise<void> {
    if (!stored.startsWith(LOCAL_PREFIX)) return;
    const rel = stored.slice(LOCAL_PREFIX.length);
    const full = path.resolve(this.root, rel);
    if (!full.startsWith(path.resolve(this.root) + path.sep)) return;
    await fs.rm(full, { force: true });
  }

  mediaRoot(): string {
    return this.root;
  }
}
