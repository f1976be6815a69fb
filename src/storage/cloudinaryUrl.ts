// pycloudinary 1.41's CloudinaryField read path and URL builder, rebuilt because the Node SDK differs
// (https by default, `?_a=` analytics, mis-parsed versionless values): docs/compat-notes.md §4.

const FIELD_VALUE = /^(?:(image|raw|video)\/(upload|private|authenticated)\/)?(?:v(\d+)\/)?(.*?)(\.([^.]+))?$/s;

export interface CloudinaryResource {
  resourceType: string;
  type: string;
  version: string | null;
  publicId: string;
  format: string | null;
}

function parseFieldValue(value: string): CloudinaryResource | null {
  const m = FIELD_VALUE.exec(value);
  if (!m || !m[4]) return null;
  return { resourceType: m[1] ?? 'image', type: m[2] ?? 'upload', version: m[3] ?? null, publicId: m[4], format: m[6] ?? null };
}

/** smart_escape: %-escape everything but A-Za-z0-9_.-/: (UTF-8 bytes). */
function smartEscape(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.\-/:]/.test(c) ? c : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

export function cloudinaryUrl(stored: string | null | undefined, cloudName: string, secure = false): string | null {
  if (!stored) return null;
  const r = parseFieldValue(stored);
  if (!r) return null;
  // An absolute URL is returned as its public_id: the format (after the last dot) is dropped.
  if (r.type === 'upload' && /^https?:/.test(r.publicId)) return r.publicId;
  const version = r.version ?? (r.publicId.includes('/') && !/^v\d+\//.test(r.publicId) ? '1' : null);
  const prefix = `${secure ? 'https' : 'http'}://res.cloudinary.com/${cloudName}`;
  return `${prefix}/${r.resourceType}/${r.type}/${version ? `v${version}/` : ''}${smartEscape(r.publicId)}${r.format ? '.' + r.format : ''}`;
}
