/**
 * Client-side delivery of judgments: every answer is written to an outbox (localStorage) before it is
 * sent, sent with retries on network errors and 5xx/429, and removed only when the server acknowledged
 * (2xx) or refused it (4xx, shown to the annotator). The judgment id is generated once per answer, so
 * every retry — even after a reload — is the same judgment to the server. Nothing is dropped silently.
 */

export type PendingJudgment = { projectId: number; body: Record<string, unknown> & { id: string } };

export type SendOutcome =
  | { kind: 'stored'; status: number; body: Record<string, unknown> }
  | { kind: 'refused'; status: number; message: string; field?: string }
  | { kind: 'unreachable'; message: string };

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/** POSTs one judgment, retrying transient failures with exponential backoff. */
export async function sendJudgment(
  pending: PendingJudgment,
  options: { fetch?: Fetch; attempts?: number; baseDelayMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<SendOutcome> {
  const doFetch = options.fetch ?? ((url, init) => fetch(url, init));
  const attempts = options.attempts ?? 4;
  const base = options.baseDelayMs ?? 400;
  const sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  let last: SendOutcome = { kind: 'unreachable', message: 'The server could not be reached.' };
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(base * 2 ** (attempt - 1));
    let res: Response;
    try {
      res = await doFetch(`/api/v1/projects/${pending.projectId}/judgments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(pending.body),
      });
    } catch {
      last = { kind: 'unreachable', message: 'The server could not be reached.' };
      continue;
    }
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (res.ok) return { kind: 'stored', status: res.status, body };
    if (!RETRYABLE.has(res.status)) {
      return { kind: 'refused', status: res.status, message: typeof body.error === 'string' ? body.error : `The server refused the answer (${res.status}).`, field: typeof body.field === 'string' ? body.field : undefined };
    }
    last = { kind: 'unreachable', message: `The server answered ${res.status}.` };
  }
  return last;
}

type Storage = Pick<globalThis.Storage, 'getItem' | 'setItem'>;

const key = (projectId: number) => `arbiter.outbox.${projectId}`;

export function readOutbox(storage: Storage, projectId: number): PendingJudgment[] {
  try {
    const parsed = JSON.parse(storage.getItem(key(projectId)) ?? '[]') as unknown;
    return Array.isArray(parsed) ? (parsed as PendingJudgment[]).filter((p) => p && typeof p.body?.id === 'string') : [];
  } catch {
    return [];
  }
}

export function putInOutbox(storage: Storage, pending: PendingJudgment): void {
  const list = readOutbox(storage, pending.projectId).filter((p) => p.body.id !== pending.body.id);
  storage.setItem(key(pending.projectId), JSON.stringify([...list, pending]));
}

export function removeFromOutbox(storage: Storage, projectId: number, id: string): void {
  storage.setItem(key(projectId), JSON.stringify(readOutbox(storage, projectId).filter((p) => p.body.id !== id)));
}
