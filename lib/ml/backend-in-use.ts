/**
 * The TensorFlow.js backend this process chose (lib/ml/backend.ts), kept apart from backend.ts so that a
 * reader — the worker registry's heartbeat — does not load TensorFlow.js just to ask.
 */
let inUse: string | undefined;

export function recordBackendInUse(backend: string): void {
  inUse = backend;
}

/** The backend chosen by this process's first ML job, or undefined before one ran. */
export const backendInUse = (): string | undefined => inUse;
