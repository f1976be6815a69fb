import type { Knex } from 'knex';
import { USER_TABLE, type UserRow } from '../auth/tokens.ts';

export async function userByEmail(knex: Knex, email: string): Promise<UserRow | null> {
  return ((await knex(USER_TABLE).where({ email }).first()) as UserRow | undefined) ?? null;
}

export async function setPasswordHash(knex: Knex, userId: number, encoded: string): Promise<void> {
  await knex(USER_TABLE).where({ id: userId }).update({ password: encoded });
}
