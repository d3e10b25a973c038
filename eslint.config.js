// Type-aware lint: floating promises matter in a bot (a dropped rejection is a silent lost post).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Plain-JS probes under bench/ run the compiled dist/, and recorded-CLI fixtures are plain scripts:
  // both sit outside the TypeScript project.
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'bin/**',
      'scripts/**',
      'eslint.config.js',
      'bench/**/*.mjs',
      'test/fixtures/**/*.mjs',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // The board's front end: plain browser modules, linted without types, and never markup from data.
    files: ['src/board/public/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      sourceType: 'module',
      parserOptions: { projectService: false },
    },
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      'no-restricted-properties': [
        'error',
        ...['innerHTML', 'outerHTML'].map((property) => ({ property, message: 'use textContent or el()' })),
        { property: 'insertAdjacentHTML', message: 'use el()' },
        { object: 'document', property: 'write', message: 'use el()' },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
