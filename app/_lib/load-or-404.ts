import { notFound } from 'next/navigation';
import { isAppError } from '@/lib/errors';

/** Parses a route's numeric id and loads the record, answering 404 for a bad id or one the viewer may not see. */
export function loadOr404<T>(rawId: string, load: (id: number) => T): T {
  const id = Number(rawId);
  if (!Number.isInteger(id) || id <= 0) notFound();
  try {
    return load(id);
  } catch (error) {
    if (isAppError(error, 'not-found')) notFound();
    throw error;
  }
}
