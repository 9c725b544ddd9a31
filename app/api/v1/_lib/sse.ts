/**
 * Server-Sent Events from a route handler: `tick` runs every `intervalMs` and returns the events to
 * send (or 'done' to end the stream). Stops when the browser goes away.
 */
export type SseEvent = { event: string; data: unknown };

export function sseResponse(request: Request, tick: () => SseEvent[] | 'done', intervalMs = 400): Response {
  const encoder = new TextEncoder();
  let timer: ReturnType<typeof setInterval> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let lastWrite = Date.now();
      const close = () => {
        clearInterval(timer);
        try {
          controller.close();
        } catch {
          // already closed
        }
      };
      const step = () => {
        if (request.signal.aborted) return close();
        try {
          const events = tick();
          const list = events === 'done' ? [] : events;
          for (const e of list) controller.enqueue(encoder.encode(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`));
          if (list.length > 0) lastWrite = Date.now();
          else if (Date.now() - lastWrite > 15_000) {
            controller.enqueue(encoder.encode(': keep-alive\n\n'));
            lastWrite = Date.now();
          }
          if (events === 'done') close();
        } catch (error) {
          console.error(error);
          controller.enqueue(encoder.encode(`event: error\ndata: ${JSON.stringify({ error: 'stream failed' })}\n\n`));
          close();
        }
      };
      step();
      timer = setInterval(step, intervalMs);
      request.signal.addEventListener('abort', close);
    },
    cancel() {
      clearInterval(timer);
    },
  });
  return new Response(stream, {
    headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' },
  });
}
