// Lint, including the import boundaries of docs/architecture.md: a violation fails `npm test`.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const forbid = (...groups) => groups.flat();
const NEXT_REACT = [
  { group: ['next', 'next/*'], message: 'Next.js belongs in app/ only.' },
  { group: ['react', 'react-dom', 'react/*', 'react-dom/*'], message: 'React belongs in app/ only.' },
];
const TFJS = [{ group: ['@tensorflow/*'], message: 'TensorFlow.js runs in workers (through lib/ml), never here.' }];
const APP = [{ group: ['@/app', '@/app/*'], message: 'Nothing outside app/ imports from app/.' }];
const WORKERS = [{ group: ['@/workers', '@/workers/*'], message: 'Only the worker process imports workers/.' }];
const CLI = [{ group: ['@/cli', '@/cli/*'], message: 'Only the CLI imports cli/.' }];

const restrict = (patterns) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { patterns: patterns.map((p) => ({ ...p, allowTypeImports: true })) }],
});

export default tseslint.config(
  { ignores: ['.next/**', 'node_modules/**', 'data/**', 'db/migrations/**', 'next-env.d.ts', 'test-results/**', 'playwright-report/**', 'tests/.tmp/**', 'bench/out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
  {
    // The data layer is asynchronous (db/client.ts): a query whose promise is dropped, or handed to
    // something expecting a plain value, is a write that may never happen or a check that always passes.
    files: ['**/*.{ts,tsx}'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
    },
  },
  {
    files: ['app/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      ...restrict(
        forbid(
          [{ group: ['drizzle-orm', 'drizzle-orm/*', 'better-sqlite3'], message: 'app/ reads and writes through db/queries.' }],
          [{ group: ['@/db/client', '@/db/schema', '@/db/seed/*', '**/db/client'], message: 'app/ uses db/queries, never the connection or tables.' }],
          [{ group: ['@/lib/ml', '@/lib/ml/*'], message: 'lib/ml runs in workers.' }],
          TFJS,
          WORKERS,
          CLI,
        ),
      ),
    },
  },
  {
    files: ['lib/**/*.ts'],
    rules: restrict(
      forbid(
        NEXT_REACT,
        [{ group: ['@/db', '@/db/*', '**/db/*'], message: 'lib/ imports only types from db/: take the db handle (and tables) as arguments; domain constants live in lib/.' }],
        APP,
        WORKERS,
        CLI,
      ),
    ),
  },
  {
    files: ['lib/ml/**/*.ts'],
    rules: restrict(forbid(NEXT_REACT, [{ group: ['@/db', '@/db/*', '@/lib/env'], message: 'lib/ml is pure: no database, no env.' }], APP, WORKERS, CLI)),
  },
  { files: ['bin/**/*.js', 'scripts/**/*.{js,mjs}'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
  { files: ['db/**/*.ts'], rules: restrict(forbid(NEXT_REACT, TFJS, APP, WORKERS, CLI)) },
  { files: ['workers/**/*.ts'], rules: restrict(forbid(NEXT_REACT, APP, CLI)) },
  { files: ['cli/**/*.ts'], rules: restrict(forbid(NEXT_REACT, APP, WORKERS, TFJS)) },
);
