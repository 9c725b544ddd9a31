/**
 * Server-Sent Events from a route handler: `tick` runs every `intervalMs` and resolves to the events to
 * send (or 'done' to end the stream). Ticks never overlap: the next is scheduled once the previous has
 * finished. Stops when the browser goes away.
 */
export type SseEvent = { event: string; data: unknown };

export function sseResponse(request: Request, tick: () => Promise<SseEvent[] | 'done'>, intervalMs = 400): Response {
  const encoder = new TextEncoder();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let lastWrite = Date.now();
      const close = () => {
        closed = true;
        clearTimeout(timer);
        try {
          controller.close();
        } catch {
          // already closed
        }
      };
      const step = async () => {
        if (closed) return;
        if (request.signal.aborted) return close();
        try {
          const events = await tick();
          // The browser may have gone away while the tick ran.
          if (closed) return;
          const list = events === 'done' ? [] : events;
          for (const e of list) controller.enqueue(encoder.encode(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`));
          if (list.length > 0) lastWrite = Date.now();
          else if (Date.now() - lastWrite > 15_000) {
            controller.enqueue(encoder.encode(': keep-alive\n\n'));
            lastWrite = Date.now();
          }
          if (events === 'done') return close();
        } catch (error) {
          if (closed) return;
          console.error(error);
          try {
            controller.enqueue(encoder.encode(`event: error\ndata: ${JSON.stringify({ error: 'stream failed' })}\n\n`));
          } catch {
            // the stream is gone already
          }
          return close();
        }
        timer = setTimeout(() => void step(), intervalMs);
      };
      request.signal.addEventListener('abort', close);
      void step();
    },
    cancel() {
      closed = true;
      clearTimeout(timer);
    },
  });
  return new Response(stream, {
    headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' },
  });
}
