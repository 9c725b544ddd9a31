import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The files linted here are imaginary, so outside the TypeScript project: the type-aware rules (and the
// project service they need) are switched off; the import rules checked here need no types.
const eslint = new ESLint({
  overrideConfig: {
    languageOptions: { parserOptions: { projectService: false } },
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' },
  },
});

async function lintAs(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

describe('import boundaries (docs/architecture.md)', () => {
  it('stop app/ from touching the driver, the connection, tfjs or workers', async () => {
    expect(await lintAs('app/x/page.tsx', "import { eq } from 'drizzle-orm';\nexport const a = eq;\n")).toEqual([expect.stringMatching(/db\/queries/)]);
    expect(await lintAs('app/x/page.tsx', "import { getDb } from '@/db/client';\nexport const a = getDb;\n")).toHaveLength(1);
    expect(await lintAs('app/x/page.tsx', "import * as tf from '@tensorflow/tfjs';\nexport const a = tf;\n")).toHaveLength(1);
    expect(await lintAs('app/x/page.tsx', "import { runOnce } from '@/workers/run-once';\nexport const a = runOnce;\n")).toHaveLength(1);
  });

  it('keep lib/ free of Next, React and the database connection, but allow type imports', async () => {
    expect(await lintAs('lib/x.ts', "import { redirect } from 'next/navigation';\nexport const a = redirect;\n")).toHaveLength(1);
    expect(await lintAs('lib/x.ts', "import { useState } from 'react';\nexport const a = useState;\n")).toHaveLength(1);
    expect(await lintAs('lib/x.ts', "import { getDb } from '@/db/client';\nexport const a = getDb;\n")).toHaveLength(1);
    expect(await lintAs('lib/x.ts', "import type { Db } from '@/db/client';\nexport type A = Db;\n")).toEqual([]);
  });

  it('keep workers/ and cli/ out of app/', async () => {
    expect(await lintAs('workers/x.ts', "import { getActor } from '@/app/_lib/session';\nexport const a = getActor;\n")).toHaveLength(1);
    expect(await lintAs('cli/x.ts', "import { getActor } from '@/app/_lib/session';\nexport const a = getActor;\n")).toHaveLength(1);
    expect(await lintAs('db/x.ts', "import { cookies } from 'next/headers';\nexport const a = cookies;\n")).toHaveLength(1);
  });
});
