import { notFound } from 'next/navigation';
import { isAppError } from '@/lib/errors';

/** Parses a route's numeric id and loads the record, answering 404 for a bad id or one the viewer may not see. */
export async function loadOr404<T>(rawId: string, load: (id: number) => Promise<T> | T): Promise<T> {
  const id = Number(rawId);
  if (!Number.isInteger(id) || id <= 0) notFound();
  try {
    return await load(id);
  } catch (error) {
    if (isAppError(error, 'not-found')) notFound();
    throw error;
  }
}
