/**
 * The staged import's scratch file: its tables, and what the two commit paths (import-commit-sqlite.ts,
 * import-commit-pg.ts) are handed. The file is always SQLite, local to the process, whatever the live
 * database is (db/queries/import-stage.ts writes it; docs in its header).
 */
import { integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { ScratchDb } from '../client';

export type ImportCounts = { rows: number; promptsAdded: number; responsesAdded: number; comparisonsAdded: number; itemsAdded: number };

/** What a commit path reads: the flushed scratch file (open as `stage`, at `file`), and where it goes. */
export type StagedImport = { stage: ScratchDb; file: string; projectId: number; rows: number };

/** A dialect's way into the live database: count what would be added (writing nothing), or add it in one write transaction. */
export type LiveMover = {
  preview(staged: StagedImport, signal?: AbortSignal): Promise<ImportCounts>;
  /** `writeLockMs`: how long the live database's write lock was held. */
  commit(staged: StagedImport, signal?: AbortSignal): Promise<{ counts: ImportCounts; writeLockMs: number }>;
};

// Not part of the live schema (no migration creates them): declared here so staging and both commits
// name their columns through drizzle.
export const stagedPrompts = sqliteTable('prompts', {
  sid: integer('sid').primaryKey(),
  messages: text('messages').notNull(),
  contentHash: text('content_hash').notNull(),
});
export const stagedResponses = sqliteTable('responses', {
  sid: integer('sid').primaryKey(),
  promptSid: integer('prompt_sid').notNull(),
  system: text('system').notNull(),
  content: text('content').notNull(),
  contentHash: text('content_hash').notNull(),
});
/** In staged order by rowid (the table has no sid: nothing refers to a staged comparison). */
export const stagedComparisons = sqliteTable('comparisons', {
  promptSid: integer('prompt_sid').notNull(),
  winnerSid: integer('winner_sid').notNull(),
  loserSid: integer('loser_sid').notNull(),
  isTie: integer('is_tie').notNull(),
  tieKind: text('tie_kind'),
  strength: real('strength'),
  annotatorId: text('annotator_id'),
  groupId: text('group_id'),
});
// Items to annotate (candidates), unique as the live importer kept them, and rated items with their imported judgment.
export const stagedItems = sqliteTable('items', {
  sid: integer('sid').primaryKey(),
  promptSid: integer('prompt_sid').notNull(),
  kind: text('kind').notNull(),
  responseSids: text('response_sids').notNull(),
  requiredAnnotations: integer('required_annotations').notNull(),
});
export const stagedRatedItems = sqliteTable('rated_items', {
  sid: integer('sid').primaryKey(),
  promptSid: integer('prompt_sid').notNull(),
  responseSids: text('response_sids').notNull(),
  ratings: text('ratings').notNull(),
});

/** The tables above, as created in the scratch file (the unique keys are the live tables' own). */
export const STAGE_SCHEMA = [
  'create table prompts (sid integer primary key, messages text not null, content_hash text not null unique)',
  'create table responses (sid integer primary key, prompt_sid integer not null, system text not null, content text not null, content_hash text not null, unique (prompt_sid, system, content_hash))',
  'create table comparisons (prompt_sid integer not null, winner_sid integer not null, loser_sid integer not null, is_tie integer not null, tie_kind text, strength real, annotator_id text, group_id text)',
  'create table items (sid integer primary key, prompt_sid integer not null, kind text not null, response_sids text not null, required_annotations integer not null, unique (prompt_sid, kind, response_sids))',
  'create table rated_items (sid integer primary key, prompt_sid integer not null, response_sids text not null, ratings text not null)',
];
