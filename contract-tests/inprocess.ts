// An in-process csi-chat for the replay: the test harness's server (PGlite, or the Postgres of
// DATABASE_URL), with Cloudinary pointed at the local fake Upload API so upload transcripts work offline.
import { startServer, type Backend, type TestServer } from '../test/helpers/harness.ts';
import { startFakeCloudinary, type FakeCloudinary } from '../test/helpers/fakeCloudinary.ts';
import type { Target } from './types.ts';

export interface InProcessTarget extends Target {
  server: TestServer;
  cloudinary: FakeCloudinary;
  close(): Promise<void>;
}

export async function startInProcess(backend: Backend): Promise<InProcessTarget> {
  const cloudinary = await startFakeCloudinary();
  let server: TestServer;
  try {
    server = await startServer(backend, { env: cloudinary.env() });
  } catch (err) {
    await cloudinary.close();
    throw err;
  }
  return {
    server,
    cloudinary,
    baseUrl: server.baseUrl,
    wsUrl: server.wsUrl,
    reset: () => server.reset(),
    async close() {
      await server.close();
      await cloudinary.close();
    },
  };
}
