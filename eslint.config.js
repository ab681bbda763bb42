// ESLint flat config: @eslint/js and typescript-eslint recommended (syntactic rules only, so
// linting stays fast; tsc does the type checking). Formatting is prettier's job, not ESLint's.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Node's globals, for plain .js/.mjs files (TypeScript files get them from @types/node). */
const nodeGlobals = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'URLSearchParams',
    'TextEncoder',
    'TextDecoder',
    'AbortController',
    'AbortSignal',
    'structuredClone',
    'queueMicrotask',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'clearImmediate',
    'fetch',
    'performance',
    'globalThis',
  ].map((name) => [name, 'readonly']),
);

/**
 * The layer table of docs/ARCHITECTURE.md as lint rules: a folder may import only the layers below
 * it. Bottom to top: util, errors, config (usable by all) < api (with the connectors it offers
 * shortcuts for) < graph < runtime (ha beside it) < rest < client < providers < cluster < cli; metrics (beside the
 * runtime) imports only util, errors and config. src/index.ts and
 * src/bootstrap.ts (the composition root) stand outside the table. Static imports, re-exports and
 * dynamic import() are all checked.
 */
const LAYERS = [
  {
    files: ['src/util/**', 'src/errors.ts'],
    forbid: ['config', 'fs', 'api', 'connectors', 'graph', 'runtime', 'ha', 'rest', 'client', 'providers', 'cluster', 'cli'],
  },
  // Metrics sit beside the runtime: the runtime, REST and the processes use them; they use only util, config and errors.
  {
    files: ['src/metrics/**'],
    forbid: ['api', 'connectors', 'graph', 'runtime', 'ha', 'rest', 'client', 'providers', 'cluster', 'cli'],
  },
  {
    files: ['src/config/**'],
    forbid: ['fs', 'api', 'connectors', 'graph', 'runtime', 'ha', 'rest', 'client', 'providers', 'cluster', 'cli'],
  },
  // File systems (local, S3) are usable by every layer above config.
  { files: ['src/fs/**'], forbid: ['api', 'connectors', 'graph', 'runtime', 'ha', 'rest', 'client', 'providers', 'cluster', 'cli'] },
  { files: ['src/api/**'], forbid: ['graph', 'runtime', 'ha', 'rest', 'client', 'providers', 'cluster', 'cli'] },
  { files: ['src/connectors/**'], forbid: ['graph', 'runtime', 'ha', 'rest', 'client', 'providers', 'cluster', 'cli'] },
  { files: ['src/graph/**'], forbid: ['runtime', 'ha', 'rest', 'client', 'providers', 'cluster', 'cli'] },
  // HA services stand beside the runtime: coordination and stores only, wired to the JobManager by the cluster layer.
  { files: ['src/ha/**'], forbid: ['api', 'connectors', 'graph', 'runtime', 'rest', 'client', 'providers', 'cluster', 'cli'] },
  { files: ['src/runtime/**'], forbid: ['ha', 'rest', 'client', 'providers', 'cluster', 'cli'] },
  { files: ['src/rest/**'], forbid: ['client', 'providers', 'cluster', 'cli'] },
  { files: ['src/client/**'], forbid: ['providers', 'cluster', 'cli'] },
  { files: ['src/providers/**'], forbid: ['cluster', 'cli'] },
  { files: ['src/cluster/**'], forbid: ['cli'] },
];

const layerRules = LAYERS.map(({ files, forbid }) => {
  const regex = `^(\\.\\./)+(${forbid.join('|')})(/|\\.js$|$)`;
  const message = `breaks the layer table (docs/ARCHITECTURE.md): ${files[0]} may not import ${forbid.join(', ')}`;
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex, message }] }],
      'no-restricted-syntax': ['error', { selector: `ImportExpression[source.value=/${regex.replaceAll('/', '\\/')}/]`, message }],
    },
  };
});

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'output/', '.weir/', 'scratch/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: nodeGlobals },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  ...layerRules,
);
