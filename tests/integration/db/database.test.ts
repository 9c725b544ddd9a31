/** The database behind db/client.ts, on either dialect: foreign keys, and the write-transaction guarantees (SQLite-only checks: sqlite-file.test.ts; PostgreSQL-only: postgres.test.ts). */
import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { db, execute, withWriteTransaction } from '@/db/client';
import { isPostgres } from '@/db/dialect';
import { signInAttempts } from '@/db/schema';
import { execSql } from '../../helpers/sql';

describe('database', () => {
  it('enforces foreign keys', async () => {
    await expect(execSql("insert into prompts (project_id, messages, content_hash) values (99999, '[]', 'x')")).rejects.toThrow(/FOREIGN KEY|foreign key/);
  });

  describe('write transactions (the guarantee issue 21 needs from an async data layer)', () => {
    const attempts = async () => (await db().select().from(signInAttempts)).map((r) => r.email).sort();
    const clear = () => execSql('delete from sign_in_attempts');
    const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

    it('refuses a write outside a transaction: the shared connection is read-only', async () => {
      const write = async () => execute(sql`insert into sign_in_attempts (email, attempted_at) values ('x@example.com', 1)`, db());
      // SQLite: the reader connection is query_only; PostgreSQL: 25006, a write in a read-only transaction.
      await expect(write()).rejects.toMatchObject({ cause: { code: isPostgres ? '25006' : 'SQLITE_READONLY' } });
      expect(await attempts()).toEqual([]);
    });

    it('keeps other requests out of an open transaction while it awaits, and their writes survive its rollback', async () => {
      await clear();
      let readDuring: string[] = [];
      const rolledBack = withWriteTransaction(async (tx) => {
        await tx.insert(signInAttempts).values({ email: 'rolled-back@example.com', attemptedAt: new Date() });
        await tick(); // another request runs here
        await tick();
        throw new Error('abandon');
      });
      // Another request, started while the first transaction is open and waiting on a timer:
      const other = (async () => {
        await tick();
        readDuring = await attempts(); // a read does not see the uncommitted row
        await withWriteTransaction(async (tx) => {
          await tx.insert(signInAttempts).values({ email: 'kept@example.com', attemptedAt: new Date() });
        });
      })();
      await expect(rolledBack).rejects.toThrow('abandon');
      await other;
      expect(readDuring).toEqual([]);
      expect(await attempts()).toEqual(['kept@example.com']);
    });

    it('runs writers of one process one after another, in the order they asked', async () => {
      await clear();
      const order: string[] = [];
      const write = (name: string) =>
        withWriteTransaction(async (tx) => {
          order.push(`${name}:begin`);
          await tick();
          await tx.insert(signInAttempts).values({ email: `${name}@example.com`, attemptedAt: new Date() });
          order.push(`${name}:commit`);
        });
      await Promise.all([write('a'), write('b'), write('c')]);
      expect(order).toEqual(['a:begin', 'a:commit', 'b:begin', 'b:commit', 'c:begin', 'c:commit']);
      expect(await attempts()).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
    });

    it('joins an open transaction when called inside one, so helpers see its writes and roll back with it', async () => {
      await clear();
      const seen = await withWriteTransaction(async () => {
        await withWriteTransaction(async (tx) => tx.insert(signInAttempts).values({ email: 'inner@example.com', attemptedAt: new Date() }));
        return attempts(); // db() inside the transaction is the transaction
      });
      expect(seen).toEqual(['inner@example.com']);
      await expect(
        withWriteTransaction(async () => {
          await withWriteTransaction(async (tx) => tx.insert(signInAttempts).values({ email: 'undone@example.com', attemptedAt: new Date() }));
          throw new Error('outer fails');
        }),
      ).rejects.toThrow('outer fails');
      expect(await attempts()).toEqual(['inner@example.com']);
    });

  });
});
