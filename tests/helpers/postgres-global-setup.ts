/** vitest globalSetup of the integration tier: on its PostgreSQL pass, migrate the template database once. */
import { prepareTemplate } from './postgres';

export default async function setup(): Promise<void> {
  const url = process.env.ARBITER_DATABASE_URL;
  if (url) await prepareTemplate(url);
}
