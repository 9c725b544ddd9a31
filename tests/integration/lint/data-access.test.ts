/**
 * One data-access style (issue 15, part 1): product code reaches the database only through drizzle, via
 * db/client.ts's `db()` and `withWriteTransaction`. A raw `$client.prepare` would bypass the read-only
 * connection and the per-process write lock (db/client.ts says why both exist), a drizzle `.transaction()`
 * would run synchronously on SQLite, and a synchronous query function could not move to PostgreSQL.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const productFiles = () =>
  execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'app', 'lib', 'workers', 'cli', 'scripts', 'db', 'instrumentation.ts'], { encoding: 'utf8' })
    .split('\n')
    .filter((file) => /\.(ts|tsx)$/.test(file) && fs.existsSync(file));

/**
 * The only files that may hold a driver's connection: the door itself, the backups (SQLite's page copy,
 * pg_dump's snapshot), `db copy`, which reads a SQLite file and fills another database, and the LISTEN
 * connection of job notifications (a session of its own: a pool cannot hold one).
 */
const RAW_ALLOWED = new Set(['db/client.ts', 'db/db-types.ts', 'db/sqlite-connections.ts', 'db/postgres-connections.ts', 'db/backup.ts', 'db/backup-postgres.ts', 'db/copy.ts', 'db/notify.ts']);

/** Functions in db/queries that never touch the database, and so stay synchronous. */
const PURE = new Set(['inviteUrl', 'isInviteLocked', 'rankingsOf', 'splitTrainingData', 'getAuthSecret', 'getAuth', 'resetAuth', 'modelRecord', 'rewardModelFileKeys', 'policyFileKeys']);

const offendingLines = (pattern: RegExp, files: string[]) =>
  files.flatMap((file) =>
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, k) => (pattern.test(line) && !line.trimStart().startsWith('*') && !line.trimStart().startsWith('//') ? [`${file}:${k + 1}: ${line.trim()}`] : [])),
  );

describe('one data-access style', () => {
  it('never uses the driver connection (`$client`, a raw `.prepare(sql)`) outside db/client.ts (with its two dialect files) and the backup code', () => {
    const files = productFiles().filter((file) => !RAW_ALLOWED.has(file));
    expect(files.length).toBeGreaterThan(100);
    // drizzle's own prepared statements (`builder.prepare()`, no SQL text) are the hot paths' tool (db/client.ts, prepareOnce).
    expect(offendingLines(/\$client|\.prepare\(\s*['"`]/, files)).toEqual([]);
    // Nor a connection of its own, to either database.
    expect(offendingLines(/new (pg\.)?(Client|Pool)\(|new Database\(/, files)).toEqual([]);
  });

  it("never opens drizzle's synchronous `.transaction()`: writes go through withWriteTransaction", () => {
    expect(offendingLines(/\.transaction\(/, productFiles())).toEqual([]);
  });

  it('gives the writer connection (getDb) only to tests, benches and backups', () => {
    const files = productFiles().filter((file) => !RAW_ALLOWED.has(file));
    expect(offendingLines(/\bgetDb\(/, files)).toEqual([]);
  });

  it('makes every exported function of db/queries asynchronous, but for the listed pure helpers', () => {
    const files = fs.readdirSync('db/queries').filter((name) => name.endsWith('.ts'));
    const synchronous: string[] = [];
    for (const name of files) {
      const source = ts.createSourceFile(name, fs.readFileSync(`db/queries/${name}`, 'utf8'), ts.ScriptTarget.ES2022, true);
      for (const statement of source.statements) {
        if (!ts.isFunctionDeclaration(statement) || !statement.name) continue;
        if (!statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
        const isAsync = statement.modifiers.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
        const returnsPromise = statement.type?.getText(source).startsWith('Promise<') ?? false;
        if (!isAsync && !returnsPromise && !PURE.has(statement.name.text)) synchronous.push(`db/queries/${name}: ${statement.name.text}`);
      }
    }
    expect(synchronous).toEqual([]);
  });
});
