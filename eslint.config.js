// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The one-way layering of docs/architecture.md, enforced: each layer lists what it must not
 * import at runtime (type-only imports upwards are allowed).
 */
const layers = {
  'server/domain': ['store', 'media', 'ingest', 'pipeline', 'delay', 'service', 'control', 'http', 'audit'],
  'server/store': ['media', 'ingest', 'pipeline', 'delay', 'service', 'control', 'http', 'audit'],
  'server/media': ['store', 'ingest', 'pipeline', 'delay', 'service', 'control', 'http', 'audit'],
  'server/ingest': ['pipeline', 'delay', 'service', 'control', 'http'],
  'server/pipeline': ['ingest', 'delay', 'service', 'control', 'http'],
  'server/delay': ['ingest', 'service', 'control', 'http'],
  'server/audit': ['media', 'ingest', 'pipeline', 'delay', 'service', 'control', 'http'],
  'server/service': ['control', 'http'],
  // The two entry points reach the live path only through service/, and never each other.
  'server/control': ['http', 'media', 'ingest', 'pipeline', 'delay'],
  'server/http': ['control', 'media', 'ingest', 'pipeline', 'delay'],
  // The recorder sits beside the server: it follows live hearings through events and never calls
  // into the service, control or HTTP layers.
  recorder: ['service', 'control', 'http', 'ingest'],
};

const layerRules = Object.entries(layers).map(([dir, banned]) => ({
  files: [`${dir}/**/*.ts`],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          ...banned.map((b) => ({ group: [`**/${b}/*`, `../${b}/*`], message: `${dir} must not depend on server/${b} (docs/architecture.md layering)`, allowTypeImports: true })),
          { group: ['**/config/*'], message: 'lower layers take options, not global config', allowTypeImports: true },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'docs/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  ...layerRules,
  {
    files: ['console/**/*.js', 'player/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['player/**/*.{js,ts}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/server/**'], message: 'player/ talks to the public API only' }] }],
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['**/server/**'], message: 'player/ talks to the public API only' }] }],
    },
  },
);
