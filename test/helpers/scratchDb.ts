// A Postgres database of its own for a suite that needs one (built indexes, churned tables): created on the
// server of DATABASE_URL under a random name, dropped (sessions included) when the suite is done.
import crypto from 'node:crypto';
import pg from 'pg';

export interface ScratchDatabase {
  /** DATABASE_URL with the scratch database's name. */
  url: string;
  drop(): Promise<void>;
}

export async function createScratchDatabase(stem: string): Promise<ScratchDatabase> {
  const name = `${stem}_${crypto.randomBytes(4).toString('hex')}`;
  const base = new URL(process.env.DATABASE_URL!);
  base.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  base.pathname = `/${name}`;
  return {
    url: base.toString(),
    async drop() {
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
