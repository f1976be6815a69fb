// Where the files csi-chat reads at run time live (db/schema.sql, db/demo.sql, …): under the package
// root, found from this module whether it runs as src/paths.ts (tsx) or as dist/paths.js (npm run build).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'db'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`csi-chat: no package root (package.json + db/) above ${start}`);
  }
}

/** The directory holding package.json and db/. */
const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

/** db/<name>: the Django schema, its migrations list and the demo data. */
export function dbAsset(name: string): string {
  return path.join(PACKAGE_ROOT, 'db', name);
}
