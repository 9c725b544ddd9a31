/**
 * PostgreSQL column types that keep the SQLite schema's JavaScript types (db/schema/sqlite), so query code
 * written once against the SQLite tables' types reads and writes the same values on either database.
 */
import { sql } from 'drizzle-orm';
import { customType } from 'drizzle-orm/pg-core';

/**
 * Milliseconds since the epoch in a `bigint`, read and written as a Date: SQLite's integer `timestamp_ms`.
 * Not `timestamp with time zone`: the stored numbers then compare, sort and copy across dialects unchanged,
 * and raw SQL doing arithmetic on times (`run_at + ?`) means the same thing on both.
 * The driver returns int8 as a string unless db/client.ts's type parser already made it a number; `Number`
 * takes either (milliseconds stay far below 2^53).
 */
export const timestampMs = customType<{ data: Date; driverData: string | number }>({
  dataType: () => 'bigint',
  toDriver: (d) => d.getTime(),
  fromDriver: (v) => new Date(Number(v)),
});

/** Binary data as a Buffer: SQLite's `blob({ mode: 'buffer' })`. node-postgres returns bytea as a Buffer and sends a Buffer as bytea. */
export const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => 'bytea',
});

/**
 * Milliseconds since the epoch, computed by PostgreSQL so every writer agrees on the clock, as SQLite's
 * `now` does. clock_timestamp(), not now(): now() is the transaction's start, and SQLite's value is the
 * statement's time. floor() truncates to the millisecond as SQLite's integer cast does (a plain ::bigint
 * cast would round, up to half a millisecond into the future).
 */
export const now = sql`(floor(extract(epoch from clock_timestamp()) * 1000)::bigint)`;
export const createdAt = () => timestampMs('created_at').notNull().default(now);
export const updatedAt = () => timestampMs('updated_at').notNull().default(now);
