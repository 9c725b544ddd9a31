import { createDemoProject } from '@/db/queries/demo';
import { CLI_ACTOR, type Actor } from '@/lib/auth/access';
import type { GeneratorConfig } from '@/lib/demo/generate-preferences';

/** A generated project (small unless told otherwise), owned by `actor`. */
export async function createGeneratedProject(overrides: Partial<GeneratorConfig> = {}, actor: Actor = CLI_ACTOR) {
  return createDemoProject(actor, { prompts: 12, ...overrides });
}
