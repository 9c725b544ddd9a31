/**
 * Job writes (metrics, progress) started from a synchronous training hook such as `onStep`, which cannot
 * await them. Each starts once the one before it has settled, so they commit in the order they were added
 * (on PostgreSQL two writes in flight at once could commit either way round: a metric's id, the last
 * progress), and each is observed, so a failure is never an unhandled rejection. `flush` — called where the
 * handler can wait (an epoch's end, the end of training) — waits for every one added so far and rethrows
 * the first failure.
 */
export type PendingWrites = { add(write: () => Promise<void>): void; flush(): Promise<void> };

export function pendingWrites(): PendingWrites {
  let chain: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | null = null;
  return {
    add(write) {
      chain = chain.then(() =>
        write().catch((error: unknown) => {
          failure ??= { error };
        }),
      );
    },
    async flush() {
      await chain;
      if (failure) {
        const { error } = failure;
        failure = null;
        throw error;
      }
    },
  };
}
