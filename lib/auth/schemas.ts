import { z } from 'zod';
import { MEMBER_ROLES, USER_ROLES } from './roles';
import { passwordProblem } from './password-policy';

export const emailSchema = z.string().trim().toLowerCase().pipe(z.email('email must be a valid email address'));
export const passwordSchema = z
  .string()
  .min(8, 'password must be at least 8 characters')
  .max(256, 'password must be at most 256 characters');
export const userNameSchema = z.string().trim().min(1, 'name must not be empty').max(100, 'name must be at most 100 characters');
export const userRoleSchema = z.enum(USER_ROLES, { message: `role must be one of ${USER_ROLES.join(', ')}` });
export const memberRoleSchema = z.enum(MEMBER_ROLES, { message: `project role must be one of ${MEMBER_ROLES.join(', ')}` });

/** Adds the password policy (lib/auth/password-policy.ts) to a schema holding a new password with its email and name. */
function withPasswordPolicy<T extends z.ZodType<{ password: string; email: string; name: string }>>(schema: T): T {
  return schema.superRefine((data, ctx) => {
    const problem = passwordProblem(data.password, { email: data.email, name: data.name });
    if (problem) ctx.addIssue({ code: 'custom', path: ['password'], message: problem });
  });
}

export const createUserSchema = withPasswordPolicy(
  z.object({
    name: userNameSchema,
    email: emailSchema,
    password: passwordSchema,
    role: userRoleSchema.default('annotator'),
  }),
);
export type CreateUserInput = z.input<typeof createUserSchema>;

export const signInSchema = z.object({ email: emailSchema, password: z.string().min(1, 'password must not be empty') });

export const createInviteSchema = z.object({
  role: userRoleSchema.default('annotator'),
  email: emailSchema.optional(),
  projectId: z.number().int().positive().optional(),
  /** Days until the link expires. */
  expiresInDays: z.number().int().min(1).max(90).default(7),
});
export type CreateInviteInput = z.input<typeof createInviteSchema>;

export const acceptInviteSchema = withPasswordPolicy(
  z.object({
    token: z.string().min(16, 'invite token is malformed').max(200),
    name: userNameSchema,
    email: emailSchema,
    password: passwordSchema,
  }),
);

export const createTokenSchema = z.object({ name: z.string().trim().min(1, 'token name must not be empty').max(80) });
