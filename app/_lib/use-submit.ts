'use client';
import { useState } from 'react';

/**
 * Pending and error state for a form or button that calls a server action or the auth client.
 * `submit(fn)`: fn returns an error message to show, or nothing on success.
 */
export function useSubmit() {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState('');
  async function submit(fn: () => Promise<string | undefined | void>): Promise<void> {
    setPending(true);
    setError('');
    try {
      const message = await fn();
      if (message) setError(message);
    } catch {
      setError('The server could not be reached. Try again.');
    } finally {
      setPending(false);
    }
  }
  return { pending, error, submit };
}
