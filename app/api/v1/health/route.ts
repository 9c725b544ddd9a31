// GET /api/v1/health – liveness and database check (no authentication)
import { checkDatabase } from '@/db/queries/health';

export const dynamic = 'force-dynamic';

export async function GET(): Promise<Response> {
  try {
    const db = await checkDatabase();
    return Response.json({ status: 'ok', db: 'ok', ...db, time: new Date().toISOString() });
  } catch (error) {
    console.error(error);
    return Response.json({ status: 'error', db: 'unavailable' }, { status: 503 });
  }
}
