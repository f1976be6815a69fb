// The admin's own React components, registered under fixed names. The build (scripts/build-admin.ts)
// bundles them once; the running server registers the same names and serves the prebuilt bundle.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ComponentLoader } from 'adminjs';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'components');

export const COMPONENTS = {
  FileEdit: 'FileEdit',
  FileShow: 'FileShow',
  RoomMessages: 'RoomMessages',
  History: 'History',
  SetPassword: 'SetPassword',
  Dashboard: 'Dashboard',
} as const;

export function adminComponentLoader(): ComponentLoader {
  const loader = new ComponentLoader();
  for (const name of Object.values(COMPONENTS)) loader.add(name, path.join(DIR, `${name}.jsx`));
  return loader;
}
