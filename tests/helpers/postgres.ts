/**
 * PostgreSQL for the integration tier's second pass (scripts/test.ts sets ARBITER_DATABASE_URL to the private
 * cluster of scripts/pg-test-cluster.sh). One template database is migrated once per run (globalSetup); each
 * test file gets a fresh copy of it (CREATE DATABASE … TEMPLATE, a file copy on the server: far cheaper than
 * migrating), the counterpart of the fresh SQLite file each test file gets.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';

export const TEMPLATE_DATABASE = 'arbiter_template';

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Runs `fn` on a connection to the server's maintenance database (for CREATE and DROP DATABASE). */
export async function onServer<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Recreates the template database and applies db/migrations-pg to it. */
export async function prepareTemplate(url: string): Promise<void> {
  await onServer(url, async (client) => {
    await client.query(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
    await client.query(`create database ${TEMPLATE_DATABASE}`);
  });
  const client = new pg.Client({ connectionString: withDatabase(url, TEMPLATE_DATABASE) });
  await client.connect();
  try {
    await migrate(drizzle({ client }), { migrationsFolder: path.resolve('db', 'migrations-pg') });
  } finally {
    await client.end();
  }
}

/** A fresh database copied from the template; returns its URL. */
export async function createTestDatabase(url: string): Promise<string> {
  const name = `t_${process.pid}_${randomBytes(4).toString('hex')}`;
  await onServer(url, (client) => client.query(`create database ${name} template ${TEMPLATE_DATABASE}`));
  return withDatabase(url, name);
}

export async function dropTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  await onServer(url, (client) => client.query(`drop database if exists ${name} with (force)`));
}
