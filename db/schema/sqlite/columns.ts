import { sql } from 'drizzle-orm';
import { integer } from 'drizzle-orm/sqlite-core';

/** Milliseconds since the epoch, computed by SQLite (3.42+) so every writer agrees on the clock. */
export const now = sql`(cast(unixepoch('subsecond') * 1000 as integer))`;
export const createdAt = () => integer('created_at', { mode: 'timestamp_ms' }).notNull().default(now);
export const updatedAt = () => integer('updated_at', { mode: 'timestamp_ms' }).notNull().default(now);
