import { closeSharedDatabases } from './harness.ts';

export const mochaHooks = {
  async afterAll() {
    await closeSharedDatabases();
  },
};
