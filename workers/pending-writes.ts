/**
 * Job writes (metrics, progress) started from a synchronous training hook such as `onStep`, which cannot
 * await them. Each is observed as soon as it starts, so a failure is never an unhandled rejection, and
 * `flush` — called where the handler can wait (an epoch's end, the end of training) — waits for every one
 * started so far and rethrows the first failure.
 */
export type PendingWrites = { add(write: Promise<void>): void; flush(): Promise<void> };

export function pendingWrites(): PendingWrites {
  let chain: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | null = null;
  return {
    add(write) {
      const observed = write.catch((error: unknown) => {
        failure ??= { error };
      });
      chain = chain.then(() => observed);
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
