/**
 * Server-Sent Events from a route handler: `tick` resolves to the events to send (or 'done' to end the
 * stream); an `end` event is the last one, and the stream closes once it is sent. Ticks never overlap: the next is scheduled once the previous has finished. Stops when the
 * browser goes away.
 *
 * When ticks are worth running: on SQLite, every `intervalMs` (polling). With `subscribe` on PostgreSQL
 * (db/notify.ts: a LISTEN connection shared by the process), when a relevant change is announced — at once,
 * coalescing a burst into one tick — and otherwise only every FALLBACK_TICK_MS, which also keeps the
 * connection alive and covers a notification lost while the listener reconnected.
 */
export type SseEvent = { event: string; data: unknown };

/** Subscribes `wake` to change notifications; resolves to the unsubscribe function, or undefined where there are none (SQLite). */
export type SseSubscribe = (wake: () => void) => Promise<(() => void) | undefined>;

export type SseOptions = { intervalMs?: number; subscribe?: SseSubscribe };

const KEEP_ALIVE_MS = 15_000;
const FALLBACK_TICK_MS = 15_000;

export function sseResponse(request: Request, tick: () => Promise<SseEvent[] | 'done'>, options: SseOptions = {}): Response {
  const intervalMs = options.intervalMs ?? 400;
  const encoder = new TextEncoder();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let unsubscribe: (() => void) | undefined;
  // A wake (or the first tick) that arrives while a tick runs makes the next tick start right after it.
  let running = false;
  let wokenDuringTick = false;
  const stop = () => {
    closed = true;
    clearTimeout(timer);
    unsubscribe?.();
    unsubscribe = undefined;
  };
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let lastWrite = Date.now();
      const close = () => {
        stop();
        try {
          controller.close();
        } catch {
          // already closed
        }
      };
      const step = async () => {
        if (closed) return;
        if (request.signal.aborted) return close();
        if (running) {
          wokenDuringTick = true;
          return;
        }
        clearTimeout(timer);
        running = true;
        wokenDuringTick = false;
        try {
          const events = await tick();
          // The browser may have gone away while the tick ran.
          if (closed) return;
          const list = events === 'done' ? [] : events;
          for (const e of list) controller.enqueue(encoder.encode(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`));
          if (list.length > 0) lastWrite = Date.now();
          else if (Date.now() - lastWrite > KEEP_ALIVE_MS) {
            controller.enqueue(encoder.encode(': keep-alive\n\n'));
            lastWrite = Date.now();
          }
          if (events === 'done' || list.some((e) => e.event === 'end')) return close();
        } catch (error) {
          if (closed) return;
          console.error(error);
          try {
            controller.enqueue(encoder.encode(`event: error\ndata: ${JSON.stringify({ error: 'stream failed' })}\n\n`));
          } catch {
            // the stream is gone already
          }
          return close();
        } finally {
          running = false;
        }
        if (wokenDuringTick) return void step();
        timer = setTimeout(() => void step(), unsubscribe ? FALLBACK_TICK_MS : intervalMs);
      };
      const wake = () => void step();
      request.signal.addEventListener('abort', close);
      // Listening starts before the first tick: a change committed after that tick is then never missed.
      void (options.subscribe ? options.subscribe(wake) : Promise.resolve(undefined))
        .then((off) => {
          if (closed) off?.();
          else unsubscribe = off;
        })
        .catch((error: unknown) => console.error(error))
        .finally(() => void step());
    },
    cancel() {
      stop();
    },
  });
  return new Response(stream, {
    headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' },
  });
}
