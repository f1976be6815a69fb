// Multipart bodies as Django reads them, bounded (README: Security): at most DATA_UPLOAD_MAX_NUMBER_FIELDS
// fields and DATA_UPLOAD_MAX_MEMORY_SIZE bytes of them (TooManyFieldsSent / RequestDataTooBig), at most
// DATA_UPLOAD_MAX_NUMBER_FILES files (TooManyFilesSent) — each of which Django answers with its 400 page —
// files larger than FILE_UPLOAD_MAX_MEMORY_SIZE streamed to a temporary file (Django's
// TemporaryFileUploadHandler) and removed once the response is sent, file parts on routes that take no
// file read and dropped, and a process-wide bound on upload bytes being received (503 beyond it).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Request, Response } from 'express';
import multer from 'multer';
import type { Config } from '../config.ts';
import { ApiError } from './errors.ts';

/** Thrown for Django's SuspiciousOperation of a request body: its HTML 400 page (src/drf/errors.ts). */
export class HtmlBadRequest extends Error {}

/** Upload bytes being received by this process (a member of the application context). */
export class UploadBudget {
  inFlight = 0;
  constructor(readonly max: number) {}
}

export interface ParsedFile {
  fieldname: string;
  originalname: string;
  mimetype: string;
  size: number;
  /** The content; read from the temporary file on first use when the file was spilled to disk. */
  readonly buffer: Buffer;
}

export interface MultipartOptions {
  upload: Config['upload'];
  /** Largest accepted file (413 above it). */
  maxFileBytes: number;
  /** Whether the route takes files; when not, file parts are read and dropped. */
  takesFiles: boolean;
  budget: UploadBudget;
}

export const UPLOADS_BUSY = () => new ApiError(503, { detail: 'Service temporarily unavailable, try again later.' }, { 'Retry-After': '5' });

interface StoredInfo {
  size: number;
  memory?: Buffer;
  tempPath?: string;
  dropped?: boolean;
}

/** multer's StorageEngine: small files in memory, larger ones spilled to a temporary file. */
class SpillStorage {
  constructor(
    private readonly takesFiles: boolean,
    private readonly memoryMax: number,
    private readonly onFileBytes: (n: number) => void,
    private readonly tempFiles: string[],
  ) {}

  _handleFile(
    _req: Request,
    file: Express.Multer.File & { stream: NodeJS.ReadableStream },
    cb: (err: unknown, info?: Partial<StoredInfo>) => void,
  ): void {
    const stream = file.stream;
    let size = 0;
    if (!this.takesFiles) {
      stream.on('data', (c: Buffer) => this.onFileBytes(c.length));
      stream.on('end', () => cb(null, { size: 0, dropped: true }));
      stream.on('error', cb);
      stream.resume();
      return;
    }
    let chunks: Buffer[] = [];
    let out: fs.WriteStream | null = null;
    let tempPath: string | undefined;
    stream.on('data', (c: Buffer) => {
      size += c.length;
      this.onFileBytes(c.length);
      if (!out) {
        chunks.push(c);
        if (size <= this.memoryMax) return;
        tempPath = path.join(os.tmpdir(), `csi-upload-${crypto.randomBytes(12).toString('hex')}`);
        this.tempFiles.push(tempPath);
        out = fs.createWriteStream(tempPath, { flags: 'wx', mode: 0o600 });
        out.on('error', (err) => cb(err));
        for (const held of chunks) out.write(held);
        chunks = [];
        return;
      }
      if (!out.write(c)) {
        stream.pause();
        out.once('drain', () => stream.resume());
      }
    });
    stream.on('end', () => {
      if (out) out.end(() => cb(null, { size, tempPath }));
      else cb(null, { size, memory: Buffer.concat(chunks) });
    });
    stream.on('error', (err) => cb(err));
  }

  _removeFile(_req: Request, file: Partial<StoredInfo>, cb: (err: unknown) => void): void {
    if (file.tempPath) fs.rm(file.tempPath, { force: true }, () => cb(null));
    else cb(null);
  }
}

class TooBig extends Error {}
class Busy extends Error {}

/** Parses a multipart body: the text fields (every value of a name, in order) and the files kept. */
export async function parseMultipartBody(
  req: Request,
  res: Response,
  opts: MultipartOptions,
): Promise<{ fields: Record<string, string | string[]>; files: ParsedFile[] }> {
  const { upload: caps, budget } = opts;
  const tempFiles: string[] = [];
  // Temporary files live until the response is sent (the view has read them by then).
  res.once('close', () => {
    for (const f of tempFiles) fs.rm(f, { force: true }, () => undefined);
  });
  let received = 0;
  let fileBytes = 0;
  let counted = 0;
  const release = () => {
    budget.inFlight -= counted;
    counted = 0;
  };
  // Non-file bytes (fields plus the parts' boundaries and headers) are bounded while they arrive, so
  // DATA_UPLOAD_MAX_MEMORY_SIZE holds for memory too, not only once parsed; the exact rule is below.
  const rawFieldLimit = caps.maxMemorySize + 64 * 1024 + 512 * (caps.maxNumberFields + caps.maxNumberFiles);
  const middleware = multer({
    storage: new SpillStorage(opts.takesFiles, caps.fileMaxMemorySize, (n) => (fileBytes += n), tempFiles) as unknown as multer.StorageEngine,
    limits: {
      fileSize: opts.maxFileBytes,
      fieldSize: caps.maxMemorySize,
      fields: caps.maxNumberFields,
      files: caps.maxNumberFiles,
      parts: caps.maxNumberFields + caps.maxNumberFiles,
    },
    streamHandler: (source: Request, busboy: NodeJS.WritableStream & { destroy(err?: Error): void }) => {
      let stopped = false;
      source.on('data', (chunk: Buffer) => {
        // After an abort multer drains the rest without keeping it: not counted.
        if (stopped) return;
        received += chunk.length;
        counted += chunk.length;
        budget.inFlight += chunk.length;
        if (budget.inFlight > budget.max) {
          stopped = true;
          source.unpipe(busboy);
          busboy.destroy(new Busy());
        } else if (received - fileBytes > rawFieldLimit) {
          stopped = true;
          source.unpipe(busboy);
          busboy.destroy(new TooBig());
        }
      });
      source.pipe(busboy);
    },
  } as multer.Options).any();
  try {
    await new Promise<void>((resolve, reject) => {
      middleware(req, res, (err?: unknown) => {
        if (!err) return resolve();
        if (err instanceof Busy) return reject(UPLOADS_BUSY());
        if (err instanceof TooBig) return reject(new HtmlBadRequest('RequestDataTooBig'));
        const e = err as { code?: string; message?: string };
        switch (e.code) {
          case 'LIMIT_FILE_SIZE':
            return reject(new ApiError(413, { detail: `Uploaded file is too large (limit ${opts.maxFileBytes} bytes).` }));
          case 'LIMIT_FIELD_COUNT': // TooManyFieldsSent
          case 'LIMIT_FILE_COUNT': // TooManyFilesSent
          case 'LIMIT_PART_COUNT':
          case 'LIMIT_FIELD_VALUE': // RequestDataTooBig
            return reject(new HtmlBadRequest(e.code));
          default:
            return reject(Object.assign(new Error(e.message ?? 'Invalid multipart body'), { multipart: true }));
        }
      });
    });
  } finally {
    release();
  }
  const fields = (req.body ?? {}) as Record<string, string | string[]>;
  // Django's rule: the names and values of the fields together within DATA_UPLOAD_MAX_MEMORY_SIZE.
  let fieldBytes = 0;
  for (const [k, v] of Object.entries(fields))
    for (const one of Array.isArray(v) ? v : [v]) fieldBytes += Buffer.byteLength(k) + Buffer.byteLength(one);
  if (fieldBytes > caps.maxMemorySize) throw new HtmlBadRequest('RequestDataTooBig');
  const files: ParsedFile[] = [];
  for (const f of (req.files as Array<Express.Multer.File & StoredInfo> | undefined) ?? []) {
    if (f.dropped) continue;
    let content: Buffer | undefined = f.memory;
    const tempPath = f.tempPath;
    files.push({
      fieldname: f.fieldname,
      originalname: f.originalname,
      mimetype: f.mimetype,
      size: f.size,
      // A spilled file is read back only by a view that uses it (a synchronous read of at most
      // MAX_UPLOAD_BYTES; the storages take a Buffer).
      get buffer() {
        content ??= fs.readFileSync(tempPath!);
        return content;
      },
    });
  }
  return { fields, files };
}
