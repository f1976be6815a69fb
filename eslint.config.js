// Lint for the whole project (npm test runs it): typescript-eslint's type-aware rules that catch real
// bugs here — floating promises (a rejected write nobody awaits), misused promises, unused code — and the
// project's own rule that per-process state lives in the application context, not in module variables.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Module-scope state: a `let`, or an empty Map/WeakMap/Set/WeakSet filled at run time. */
export const MODULE_STATE = [
  {
    selector: 'Program > VariableDeclaration[kind="let"], Program > ExportNamedDeclaration > VariableDeclaration[kind="let"]',
    message: 'No module-level `let` in src/: per-process state belongs in the application context (src/context.ts).',
  },
  {
    selector:
      ':matches(Program, ExportNamedDeclaration) > VariableDeclaration > VariableDeclarator > NewExpression[callee.name=/^(Map|Set)$/][arguments.length=0]',
    message: 'No module-level cache or registry in src/: make it a member of the application context (src/context.ts).',
  },
  {
    selector: ':matches(Program, ExportNamedDeclaration) > VariableDeclaration > VariableDeclarator > NewExpression[callee.name=/^Weak(Map|Set)$/]',
    message: 'No module-level WeakMap/WeakSet in src/: make it a member of the application context (src/context.ts).',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'bench/out/', 'coverage/', 'test-artifacts/', '**/*.py'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-control-regex': 'off',
    },
  },
  { files: ['src/**/*.ts'], rules: { 'no-restricted-syntax': ['error', ...MODULE_STATE] } },
  {
    // Tests read JSON bodies loosely and send deliberately out-of-range numbers.
    files: ['test/**/*.ts', 'contract-tests/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-loss-of-precision': 'off' },
  },
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
);
