// GET|POST /api/auth/* – better-auth's endpoints (sign-in, sign-out, session); cookies Secure when the request came over https
import { getAuth } from '@/db/queries/auth';
import { withSecureCookies } from '@/lib/auth/secure-cookies';

async function handle(request: Request): Promise<Response> {
  return withSecureCookies(request, await getAuth().handler(request));
}

export const GET = handle;
export const POST = handle;
