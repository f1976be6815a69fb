import { expect } from 'chai';
import fs from 'node:fs';
import bcrypt from 'bcryptjs';
import argon2 from 'argon2';
import crypto from 'node:crypto';
import { identifyAlgorithm, makePassword, makeUnusablePassword, PBKDF2_ITERATIONS, verifyPassword } from '../../src/auth/hashers.ts';
import { SEED_SQL_PATH, SEED_USERS } from '../helpers/harness.ts';

describe('Django password hashers', () => {
  it('matches the Django test vectors for every salted algorithm', async () => {
    const pw = 'correct horse';
    const vectors = [
      'pbkdf2_sha256$870000$saltsaltsalt12$nbMc9NPEfD2e52CB8NqLy7ihhceladIJxhRwKV8yN4w=',
      'pbkdf2_sha1$870000$saltsaltsalt12$1M/JTdb5s13tMXXMA6PuUqsBTPk=',
      'scrypt$16384$saltsaltsalt12$8$1$ujHdv7Zc9iJ8aRW7qdkJE9T+0dCpg5YDKwZKJA6RJz1+rUGFzdMxoYrVYrJH+OLaozqzUiURzy/vDmcEaACcVw==',
      'md5$saltsaltsalt12$ca8a80448eabc308c42469cfdab0b0ad',
      'bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuurByPinJWI/V/0c5apkEb2KJQv7f.gZO',
      'bcrypt$$2b$12$abcdefghijklmnopqrstuuFDJRuYeKkCzo3Wy7h8SxhBSHBAHiPK2',
    ];
    for (const encoded of vectors) {
      const good = await verifyPassword(pw, encoded);
      expect(good.ok, encoded).to.equal(true);
      // 14-char salts are below 128 bits (and non-pbkdf2_sha256 algorithms are not preferred): Django upgrades them.
      expect(good.mustUpdate, encoded).to.equal(true);
      expect((await verifyPassword('wrong horse', encoded)).ok, encoded).to.equal(false);
    }
  });

  it('verifies argon2 hashes in Django\'s "argon2$argon2id$..." form', async () => {
    const phc = await argon2.hash('s3cret', { type: argon2.argon2id, timeCost: 2, memoryCost: 1024, parallelism: 1 });
    const encoded = 'argon2' + phc;
    expect((await verifyPassword('s3cret', encoded)).ok).to.equal(true);
    expect((await verifyPassword('nope', encoded)).ok).to.equal(false);
  });

  it('refuses unusable, empty, unknown and Django-5.1-removed hashes', async () => {
    const unsaltedMd5 = crypto.createHash('md5').update('pw').digest('hex');
    for (const encoded of [makeUnusablePassword(), '', 'crypt$$abc', `sha1$$${'a'.repeat(40)}`, unsaltedMd5, 'nonsense']) {
      expect((await verifyPassword('pw', encoded)).ok, encoded).to.equal(false);
    }
    expect(identifyAlgorithm(unsaltedMd5)).to.equal('unsalted_md5');
    expect(makeUnusablePassword()).to.match(/^![A-Za-z0-9]{40}$/);
  });

  it("verifies every seed user's real Django 5.1 hash and rejects a wrong password", async function () {
    this.timeout(60000);
    const seed = fs.readFileSync(SEED_SQL_PATH, 'utf8');
    for (const u of SEED_USERS.users) {
      const m = new RegExp(`INSERT INTO public."User_user" VALUES \\(${u.id}, '([^']+)'`).exec(seed);
      expect(m, `hash of user ${u.id}`).to.not.equal(null);
      const res = await verifyPassword(u.password, m![1]);
      expect(res, u.email).to.deep.equal({ ok: true, mustUpdate: false });
      expect((await verifyPassword(u.password + 'x', m![1])).ok).to.equal(false);
    }
  });

  it('makes Django-style pbkdf2_sha256 hashes with 870000 iterations and 22-char salts', async () => {
    const encoded = await makePassword('hello');
    expect(encoded).to.match(/^pbkdf2_sha256\$870000\$[A-Za-z0-9]{22}\$[A-Za-z0-9+/]{43}=$/);
    expect(PBKDF2_ITERATIONS).to.equal(870000);
    expect(await verifyPassword('hello', encoded)).to.deep.equal({ ok: true, mustUpdate: false });
  });

  it('flags fewer iterations as outdated only when the password is right', async () => {
    const old = await makePassword('pw', 'abcdefghijklmnopqrstuv', 1000);
    expect(await verifyPassword('pw', old)).to.deep.equal({ ok: true, mustUpdate: true });
    expect(await verifyPassword('px', old)).to.deep.equal({ ok: false, mustUpdate: false });
  });

  it('runs off the event loop (a timer keeps firing during an 870000-iteration hash)', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    await makePassword('pw');
    clearInterval(timer);
    expect(ticks).to.be.greaterThan(5);
  });

  it('accepts bcrypt hashes made by other implementations', async () => {
    const hash = await bcrypt.hash(crypto.createHash('sha256').update('pw').digest('hex'), 4);
    expect((await verifyPassword('pw', 'bcrypt_sha256$' + hash)).ok).to.equal(true);
  });
});
