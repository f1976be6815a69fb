// `npm run build:admin` (run by `postinstall`): bundles the admin's React components once with
// AdminJS's bundler into dist/admin-assets/, next to copies of AdminJS's prebuilt production bundles. The
// server only serves these files; it never bundles at start-up. Output is not committed.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ADMIN_BUNDLE_DIR = 'dist/admin-assets';

async function main(): Promise<void> {
  process.chdir(ROOT);
  // AdminJS's bundler writes its entry and output under ADMIN_JS_TMP_DIR (read at import time).
  process.env.ADMIN_JS_TMP_DIR = path.join(ADMIN_BUNDLE_DIR, '.tmp');
  const started = Date.now();
  const { bundle } = await import('@adminjs/bundler');
  const { adminComponentLoader } = await import('../src/admin/components.ts');
  fs.mkdirSync(ADMIN_BUNDLE_DIR, { recursive: true });
  await bundle({ componentLoader: adminComponentLoader(), destinationDir: ADMIN_BUNDLE_DIR, adminJsLocalDir: path.join(ADMIN_BUNDLE_DIR, '.tmp') });
  fs.rmSync(path.join(ADMIN_BUNDLE_DIR, '.tmp'), { recursive: true, force: true });
  const size = fs.statSync(path.join(ADMIN_BUNDLE_DIR, 'components.bundle.js')).size;
  console.log(`admin bundle: ${ADMIN_BUNDLE_DIR}/components.bundle.js (${size} bytes) in ${Date.now() - started} ms`);
}

main().catch((err) => {
  console.error('build:admin failed:', err);
  process.exit(1);
});
