import { z } from 'zod';
import { createApiToken, listApiTokens, revokeApiToken } from '@/db/queries/api-tokens';
import { createInvite, listInvites, revokeInvite } from '@/db/queries/invites';
import { createUserWithPassword, getUserByEmail, listUsers } from '@/db/queries/users';
import { emailSchema, userRoleSchema } from '@/lib/auth/schemas';
import { AppError } from '@/lib/errors';
import { emit, idSchema, parseValue, requireValue, table, type Command } from '../context';

async function userByEmailOption(values: Record<string, unknown>) {
  const email = parseValue(emailSchema, requireValue(values, 'user'), '--user');
  const user = await getUserByEmail(email);
  if (!user) throw new AppError('usage', `--user: no user with email ${email}`);
  return user;
}

export const userCommands: Command[] = [
  {
    name: 'user list',
    usage: 'user list [--json]',
    summary: 'list users and their roles',
    run: async (_a, io) => {
      const users = (await listUsers()).filter((u) => !u.isSimulated);
      emit(io, users, table(users, ['email', 'name', 'role']));
    },
  },
  {
    name: 'user create',
    usage: 'user create --email <email> --password <password> [--name <name>] [--role admin|researcher|annotator] [--json]',
    summary: 'create a user who signs in with email and password',
    options: { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } },
    run: async ({ values }, io) => {
      const email = requireValue(values, 'email');
      const user = await createUserWithPassword({
        email,
        password: requireValue(values, 'password'),
        name: typeof values.name === 'string' ? values.name : email.split('@')[0]!,
        role: values.role === undefined ? 'annotator' : parseValue(userRoleSchema, values.role, '--role'),
      });
      emit(io, user, `created ${user.role} ${user.email} (${user.id})`);
    },
  },
  {
    name: 'user invite',
    usage: 'user invite [--role annotator|researcher|admin] [--email <email>] [--project <id>] [--days <n>] [--json]',
    summary: 'print a one-time sign-up link (optionally for one email and one project)',
    options: { role: { type: 'string' }, email: { type: 'string' }, project: { type: 'string' }, days: { type: 'string' } },
    run: async ({ values }, io) => {
      const { url, invite } = await createInvite(null, {
        role: values.role === undefined ? 'annotator' : parseValue(userRoleSchema, values.role, '--role'),
        email: typeof values.email === 'string' ? parseValue(emailSchema, values.email, '--email') : undefined,
        projectId: values.project === undefined ? undefined : parseValue(idSchema, values.project, '--project'),
        expiresInDays: values.days === undefined ? undefined : parseValue(z.coerce.number().int().min(1).max(90), values.days, '--days'),
      });
      emit(io, { url, role: invite.role, email: invite.email, projectId: invite.projectId, expiresAt: invite.expiresAt }, `${url}\n(${invite.role}, expires ${invite.expiresAt.toISOString()})`);
    },
  },
  {
    name: 'user invites',
    usage: 'user invites [--json]',
    summary: 'the latest invites: role, project, email, status (open, used, expired, locked) and expiry',
    run: async (_args, io) => {
      const rows = await listInvites();
      emit(io, rows, table(rows.map((i) => ({ ...i, project: i.projectName ?? '', email: i.email ?? '', expires: i.expiresAt.toISOString().slice(0, 16) })), ['id', 'role', 'project', 'email', 'status', 'expires']));
    },
  },
  {
    name: 'user revoke-invite',
    usage: 'user revoke-invite <id> [--json]',
    summary: 'revoke an unused invite: its link stops working',
    run: async ({ positionals }, io) => {
      const id = parseValue(idSchema, positionals[0], 'invite id');
      await revokeInvite(id);
      emit(io, { id, revoked: true }, `invite ${id} revoked`);
    },
  },
  {
    name: 'token create',
    usage: 'token create --user <email> --name <name> [--json]',
    summary: 'create an API token for a user (printed once)',
    options: { user: { type: 'string' }, name: { type: 'string' } },
    run: async ({ values }, io) => {
      const user = await userByEmailOption(values);
      const { token, summary } = await createApiToken(user.id, { name: requireValue(values, 'name') });
      emit(io, { token, ...summary }, `${token}\n(token ${summary.id} for ${user.email}; it is shown only once)`);
    },
  },
  {
    name: 'token list',
    usage: 'token list --user <email> [--json]',
    summary: "list a user's API tokens",
    options: { user: { type: 'string' } },
    run: async ({ values }, io) => {
      const tokens = await listApiTokens((await userByEmailOption(values)).id);
      emit(io, tokens, table(tokens.map((t) => ({ ...t, revoked: t.revokedAt ? 'yes' : '' })), ['id', 'name', 'prefix', 'revoked']));
    },
  },
  {
    name: 'token revoke',
    usage: 'token revoke <id> --user <email> [--json]',
    summary: 'revoke an API token',
    options: { user: { type: 'string' } },
    run: async ({ values, positionals }, io) => {
      const id = parseValue(idSchema, positionals[0], 'token id');
      if (!(await revokeApiToken((await userByEmailOption(values)).id, id))) throw new AppError('usage', `token ${id}: no live token with this id for that user`);
      emit(io, { id, revoked: true }, `revoked token ${id}`);
    },
  },
];
