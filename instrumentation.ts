/** Runs once when the Next server starts: open the database so migrations apply before the first request. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { openDatabase } = await import('@/db/client');
  await openDatabase();
}
