// Cloudinary through the official SDK (v2 upload_stream), storing what pycloudinary's CloudinaryField
// stores: "<resource_type>/<type>/v<version>/<public_id>[.<format>]". URLs are built by cloudinaryUrl.ts
// (the SDK's own builder defaults to https + ?_a= analytics, docs/compat-notes.md §4.4).
//
// SDK traps handled here (docs/compat-notes.md §4.5–4.6): credentials are passed per call (the SDK does not read
// CLOUDINARY_CLOUD_NAME/_API_KEY/_API_SECRET); the uploader picks the https module at require time, so
// an http:// upload prefix (a local fake in tests, a proxy) gets an explicit http.Agent per call, which
// makes the https module's protocol check accept it.
import http from 'node:http';
import https from 'node:https';
import type { CloudinaryConfig } from '../config.ts';
import type { FileToStore, MediaStorage } from './types.ts';
import { cloudinaryUrl } from './cloudinaryUrl.ts';

interface UploadResult {
  public_id: string;
  version: number | string;
  format?: string;
  resource_type: string;
  type: string;
}

interface SdkError {
  message?: string;
  http_code?: number;
}

type UploadStream = (
  options: Record<string, unknown>,
  cb: (err: SdkError | undefined, res: UploadResult | undefined) => void,
) => NodeJS.WritableStream;
type Destroy = (publicId: string, options: Record<string, unknown>) => Promise<unknown>;

interface Sdk {
  upload_stream: UploadStream;
  destroy: Destroy;
}

/** The SDK is imported on first use (it is large and only an upload needs it). */
function loadSdk(): Promise<Sdk> {
  return import('cloudinary').then((m) => {
    const v2 = (m as unknown as { v2: { uploader: Sdk } }).v2;
    return { upload_stream: v2.uploader.upload_stream.bind(v2.uploader), destroy: v2.uploader.destroy.bind(v2.uploader) };
  });
}

class CloudinaryUploadError extends Error {
  constructor(
    message: string,
    readonly httpCode: number | null,
  ) {
    super(message);
  }
}

/** The stored CharField value of an upload result (CloudinaryResource.get_prep_value). */
function storedValue(r: UploadResult): string {
  return `${r.resource_type}/${r.type}/v${r.version}/${r.public_id}${r.format ? '.' + r.format : ''}`;
}

/** resource_type, type and public_id of a stored value (raw public_ids keep their extension). */
function parseStored(stored: string): { resourceType: string; type: string; publicId: string } | null {
  const m = /^(image|raw|video)\/(upload|private|authenticated)\/(?:v\d+\/)?(.+)$/s.exec(stored);
  if (!m) return null;
  const publicId = m[1] === 'raw' ? m[3] : m[3].replace(/\.[^./]+$/, '');
  return { resourceType: m[1], type: m[2], publicId };
}

export class CloudinaryStorage implements MediaStorage {
  readonly kind = 'cloudinary' as const;
  private readonly agent: http.Agent | https.Agent | null;

  private sdk: Promise<Sdk> | null = null;

  constructor(private readonly cfg: CloudinaryConfig) {
    const prefix = cfg.uploadPrefix;
    this.agent = prefix && prefix.startsWith('http:') ? new http.Agent({ keepAlive: true }) : null;
  }

  private baseOptions(): Record<string, unknown> {
    return {
      cloud_name: this.cfg.cloudName,
      api_key: this.cfg.apiKey,
      api_secret: this.cfg.apiSecret,
      ...(this.cfg.uploadPrefix ? { upload_prefix: this.cfg.uploadPrefix.replace(/\/+$/, '') } : {}),
      ...(this.agent ? { agent: this.agent } : {}),
      timeout: 60000,
    };
  }

  async save(file: FileToStore, opts: { resourceType?: 'image' | 'raw' | 'auto'; folder?: string } = {}): Promise<string> {
    const sdk = await (this.sdk ??= loadSdk());
    const result = await new Promise<UploadResult>((resolve, reject) => {
      let stream: NodeJS.WritableStream;
      try {
        stream = sdk.upload_stream(
          {
            ...this.baseOptions(),
            resource_type: opts.resourceType ?? 'image',
            filename: file.filename || 'file',
            ...(opts.folder ? { folder: opts.folder } : {}),
          },
          (err, res) => {
            if (err || !res) reject(new CloudinaryUploadError(err?.message ?? 'empty upload response', err?.http_code ?? null));
            else resolve(res);
          },
        );
      } catch (err) {
        reject(err);
        return;
      }
      stream.end(file.buffer);
    });
    if (!result.public_id || result.version === undefined || !result.resource_type || !result.type) {
      throw new CloudinaryUploadError('incomplete upload response', null);
    }
    return storedValue(result);
  }

  url(stored: string | null | undefined): string | null {
    return cloudinaryUrl(stored, this.cfg.cloudName, this.cfg.secure);
  }

  async remove(stored: string): Promise<void> {
    const parsed = parseStored(stored);
    if (!parsed) return;
    const sdk = await (this.sdk ??= loadSdk());
    await sdk.destroy(parsed.publicId, { ...this.baseOptions(), resource_type: parsed.resourceType, type: parsed.type, invalidate: true });
  }
}
