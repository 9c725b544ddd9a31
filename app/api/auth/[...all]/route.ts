// GET|POST /api/auth/* – better-auth's endpoints (sign-in, sign-out, session)
import { getAuth } from '@/db/queries/auth';

export const GET = (request: Request) => getAuth().handler(request);
export const POST = (request: Request) => getAuth().handler(request);
