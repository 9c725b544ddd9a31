/**
 * Job change notifications over PostgreSQL LISTEN/NOTIFY: idle workers and live pages (the jobs SSE streams)
 * wake when a job changes instead of polling the table. SQLite has no such channel; there both keep polling.
 *
 * Who notifies: triggers on `jobs` and `job_metrics` (db/migrations-pg, `arbiter_notify_job`), so every writer
 * on every host notifies — the web app, workers, the CLI, a psql session — and nothing in the query code has
 * to remember to. A notification is sent when the transaction commits, never for one rolled back. Heartbeats
 * (an update of `heartbeat_at` alone) send nothing: they change nothing a reader shows, and NOTIFY serialises
 * committing transactions (PostgreSQL's notification queue lock), so they would cost every writer.
 *
 * Who listens: one dedicated connection per process (LISTEN cannot go through a pool: it belongs to a session),
 * opened on the first subscription and shared by every subscriber in the process. A dropped connection is
 * reopened with backoff; subscribers are then told to `resync` (re-read), since notifications sent while no
 * one listened are lost.
 *
 * Channel and payload (docs/architecture.md#jobs): channel `arbiter_jobs`, payload
 * `{"id":…,"kind":"…","status":"…","projectId":…}` for a job change, `{"id":…,"metrics":true}` for new metrics.
 */
import pg from 'pg';
import { isPostgres } from './dialect';
import { getEnv } from '@/lib/env';

export const JOB_CHANNEL = 'arbiter_jobs';

export type JobNotification =
  | { type: 'job'; id: number; kind: string; status: string; projectId: number | null }
  | { type: 'metrics'; id: number }
  /** The listening connection was lost and reopened: changes in between went unannounced. */
  | { type: 'resync' };

type Subscriber = (notification: JobNotification) => void;

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;

/** Parses a payload sent by the trigger; anything else (a hand-sent NOTIFY) is ignored. */
export function parseJobNotification(payload: string | undefined): JobNotification | undefined {
  if (!payload) return undefined;
  try {
    const value = JSON.parse(payload) as Record<string, unknown>;
    if (typeof value.id !== 'number') return undefined;
    if (value.metrics === true) return { type: 'metrics', id: value.id };
    if (typeof value.kind !== 'string' || typeof value.status !== 'string') return undefined;
    return { type: 'job', id: value.id, kind: value.kind, status: value.status, projectId: typeof value.projectId === 'number' ? value.projectId : null };
  } catch {
    return undefined;
  }
}

class JobListener {
  private readonly subscribers = new Set<Subscriber>();
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelay = RECONNECT_MIN_MS;
  private everConnected = false;

  constructor(private readonly url: string) {}

  /** Adds a subscriber; resolves once the connection listens, so a change committed after it is seen. */
  async subscribe(subscriber: Subscriber): Promise<() => void> {
    this.subscribers.add(subscriber);
    try {
      await this.connect();
    } catch (error) {
      // The subscriber stays: it hears `resync` when a later attempt succeeds.
      this.scheduleReconnect();
      console.error(`[db] LISTEN ${JOB_CHANNEL} failed: ${error instanceof Error ? error.message : String(error)}; retrying`);
    }
    return () => {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) this.close();
    };
  }

  private connect(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.url });
      client.on('notification', (message) => {
        if (message.channel !== JOB_CHANNEL) return;
        const parsed = parseJobNotification(message.payload);
        if (parsed) this.emit(parsed);
      });
      client.on('error', (error) => this.lost(client, error));
      client.on('end', () => this.lost(client));
      try {
        await client.connect();
        await client.query(`LISTEN ${JOB_CHANNEL}`);
      } catch (error) {
        client.removeAllListeners('end');
        await client.end().catch(() => undefined);
        throw error;
      }
      this.client = client;
      this.reconnectDelay = RECONNECT_MIN_MS;
      // Everyone left while the connection opened.
      if (this.subscribers.size === 0) return this.close();
      if (this.everConnected) this.emit({ type: 'resync' });
      this.everConnected = true;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private lost(client: pg.Client, error?: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (error) console.error(`[db] LISTEN connection lost: ${error.message}; reconnecting`);
    client.end().catch(() => undefined);
    if (this.subscribers.size > 0) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.subscribers.size === 0) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(RECONNECT_MAX_MS, this.reconnectDelay * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.subscribers.size === 0) return;
      this.connect().catch(() => this.scheduleReconnect());
    }, delay);
    // A process waiting only for a reconnect should still be able to exit.
    this.reconnectTimer.unref();
  }

  private emit(notification: JobNotification): void {
    for (const subscriber of [...this.subscribers]) {
      try {
        subscriber(notification);
      } catch (error) {
        console.error(error);
      }
    }
  }

  private close(): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = this.client;
    this.client = undefined;
    this.everConnected = false;
    if (client) {
      client.removeAllListeners('end');
      client.end().catch(() => undefined);
    }
  }

  /** For tests: the backend pid of the listening session (to terminate it and watch the reconnect). */
  backendPid(): number | undefined {
    return (this.client as (pg.Client & { processID?: number }) | undefined)?.processID;
  }
}

let listener: JobListener | undefined;

/** True where job notifications exist (PostgreSQL); elsewhere callers poll. */
export const jobNotificationsAvailable = (): boolean => isPostgres && Boolean(getEnv().ARBITER_DATABASE_URL);

/**
 * Calls `subscriber` for every job change committed anywhere, until the returned function is called.
 * Resolves once listening. Undefined on SQLite (nothing to listen to).
 */
export async function subscribeToJobs(subscriber: Subscriber): Promise<(() => void) | undefined> {
  if (!jobNotificationsAvailable()) return undefined;
  listener ??= new JobListener(getEnv().ARBITER_DATABASE_URL!);
  return listener.subscribe(subscriber);
}

/** For tests only. */
export const jobListenerBackendPid = (): number | undefined => listener?.backendPid();

/**
 * An idle worker's wait on PostgreSQL: `wait` resolves when a job it could run becomes queued (a new job, a
 * retry, a requeue), when the listener reconnected (anything may have been missed), after `ms`, or on
 * `signal`. Subscribed for the worker's life, so a job queued between a claim that found nothing and the
 * wait still wakes it: the wait returns at once. Undefined on SQLite (the worker polls).
 */
export async function openJobWaker(kinds?: readonly string[]): Promise<{ wait(ms: number, signal: AbortSignal): Promise<void>; close(): void } | undefined> {
  let pending = false;
  let wakeWaiter: (() => void) | undefined;
  const stop = await subscribeToJobs((change) => {
    const runnable = change.type === 'resync' || (change.type === 'job' && change.status === 'queued' && (!kinds || kinds.includes(change.kind)));
    if (!runnable) return;
    pending = true;
    wakeWaiter?.();
  });
  if (!stop) return undefined;
  return {
    wait: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (pending || signal.aborted) {
          pending = false;
          return resolve();
        }
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          wakeWaiter = undefined;
          pending = false;
          resolve();
        };
        const timer = setTimeout(done, ms);
        signal.addEventListener('abort', done, { once: true });
        wakeWaiter = done;
      }),
    close: stop,
  };
}
