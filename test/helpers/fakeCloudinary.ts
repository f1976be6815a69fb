// A local stand-in for Cloudinary's Upload API (POST /v1_1/<cloud>/<resource_type>/upload and
// .../destroy), answering like the real service: signed-parameter check, random 20-char public_id,
// version = upload time, format sniffed from the bytes, PDFs accepted as images, other files refused as
// images ("Invalid image file", HTTP 400) and stored as raw under resource_type "auto".
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import multer from 'multer';

export interface FakeUpload {
  cloud: string;
  resourceType: string;
  publicId: string;
  version: number;
  format: string | null;
  bytes: Buffer;
  filename: string;
  params: Record<string, string>;
}

export interface FakeCloudinary {
  url: string;
  cloudName: string;
  apiKey: string;
  apiSecret: string;
  uploads: FakeUpload[];
  destroyed: Array<{ resourceType: string; publicId: string }>;
  /** Makes the next N upload requests answer this status (e.g. 500) instead of storing. */
  failNext(n: number, status?: number): void;
  /** Env for startServer: CLOUDINARY_* pointing the SDK at this fake. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

function sniff(b: Buffer): { format: string; image: boolean } | null {
  const at = (sig: number[], off = 0) => sig.every((x, i) => b[off + i] === x);
  if (at([0x89, 0x50, 0x4e, 0x47])) return { format: 'png', image: true };
  if (at([0xff, 0xd8, 0xff])) return { format: 'jpg', image: true };
  if (b.subarray(0, 4).toString('latin1') === 'GIF8') return { format: 'gif', image: true };
  if (b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP') return { format: 'webp', image: true };
  if (b.subarray(0, 5).toString('latin1') === '%PDF-') return { format: 'pdf', image: true };
  return null;
}

const randomId = () => Array.from(crypto.randomBytes(20), (x) => 'abcdefghijklmnopqrstuvwxyz0123456789'[x % 36]).join('');

/** Cloudinary's signature: sha1 of the sorted `k=v` pairs (minus file, api_key, resource_type, cloud_name) + secret. */
function signature(params: Record<string, string>, secret: string): string {
  const skip = new Set(['file', 'api_key', 'resource_type', 'cloud_name', 'signature']);
  const payload = Object.keys(params)
    .filter((k) => !skip.has(k) && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  return crypto
    .createHash('sha1')
    .update(payload + secret)
    .digest('hex');
}

export async function startFakeCloudinary(opts: { cloudName?: string } = {}): Promise<FakeCloudinary> {
  const cloudName = opts.cloudName ?? 'dcbla9zbl';
  const apiKey = '123456789012345';
  const apiSecret = 'fake-secret-for-tests';
  const uploads: FakeUpload[] = [];
  const destroyed: Array<{ resourceType: string; publicId: string }> = [];
  let failures: { n: number; status: number } = { n: 0, status: 500 };

  const app = express();
  const parse = multer({ storage: multer.memoryStorage() }).any();
  const error = (res: express.Response, status: number, message: string) => res.status(status).json({ error: { message } });

  app.post('/v1_1/:cloud/:rt/:action', parse, (req, res) => {
    const params = { ...(req.body as Record<string, string>) };
    const route = req.params as Record<string, string>;
    if (route.cloud !== cloudName) return error(res, 401, `Invalid cloud_name ${route.cloud}`);
    if (params.api_key !== apiKey) return error(res, 401, `Unknown API key ${params.api_key}`);
    if (params.signature !== signature(params, apiSecret)) return error(res, 401, 'Invalid Signature');
    if (route.action === 'destroy') {
      destroyed.push({ resourceType: route.rt, publicId: params.public_id });
      return res.json({ result: 'ok' });
    }
    if (route.action !== 'upload') return error(res, 404, 'Not found');
    if (failures.n > 0) {
      failures.n--;
      return error(res, failures.status, 'General Error');
    }
    const file = ((req.files as Express.Multer.File[]) ?? []).find((f) => f.fieldname === 'file');
    if (!file) return error(res, 400, 'Missing required parameter - file');
    const kind = sniff(file.buffer);
    let resourceType = route.rt;
    let format: string | null = kind?.format ?? null;
    let publicId = randomId();
    if (resourceType === 'auto') resourceType = kind?.image ? 'image' : 'raw';
    if (resourceType === 'image' && !kind?.image) return error(res, 400, 'Invalid image file');
    if (resourceType === 'raw') {
      const ext = /\.([A-Za-z0-9]{1,10})$/.exec(file.originalname)?.[1];
      if (ext) publicId += '.' + ext.toLowerCase();
      format = null;
    }
    const version = Math.floor(Date.now() / 1000);
    uploads.push({ cloud: cloudName, resourceType, publicId, version, format, bytes: file.buffer, filename: file.originalname, params });
    const path = `${resourceType}/upload/v${version}/${publicId}${format ? '.' + format : ''}`;
    res.json({
      asset_id: crypto.randomBytes(16).toString('hex'),
      public_id: publicId,
      version,
      version_id: crypto.randomBytes(16).toString('hex'),
      signature: crypto.randomBytes(20).toString('hex'),
      ...(resourceType === 'image' ? { width: 1, height: 1 } : {}),
      ...(format ? { format } : {}),
      resource_type: resourceType,
      created_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      tags: [],
      bytes: file.size,
      type: 'upload',
      etag: crypto.createHash('md5').update(file.buffer).digest('hex'),
      placeholder: false,
      url: `http://res.cloudinary.com/${cloudName}/${path}`,
      secure_url: `https://res.cloudinary.com/${cloudName}/${path}`,
      original_filename: file.originalname.replace(/\.[^.]*$/, ''),
    });
  });

  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    cloudName,
    apiKey,
    apiSecret,
    uploads,
    destroyed,
    failNext(n, status = 500) {
      failures = { n, status };
    },
    env() {
      return {
        CLOUDINARY_CLOUD_NAME: cloudName,
        CLOUDINARY_API_KEY: apiKey,
        CLOUDINARY_API_SECRET: apiSecret,
        CLOUDINARY_UPLOAD_PREFIX: url,
      };
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
