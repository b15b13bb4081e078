// Lint config: typescript-eslint's recommended rules, plus the layering rule that keeps the
// simulator free of the VS Code API (it also runs in the CLI, tests and the webview).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.vscode-test/**', 'test-results/**', '**/*.vsix'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
    },
  },
  {
    files: ['src/simulator/**/*.ts', 'src/webview/**/*.ts', 'src/cli/**/*.ts', 'src/node/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'src/simulator, src/webview, src/cli and src/node must not use the VS Code API.' }],
      }],
    },
  },
  // The extension also runs in the web worker extension host of VS Code for the Web, and the
  // simulator with it: no Node modules or globals there (vscode.workspace.fs, vscode.Uri, web crypto
  // instead). The browser build fails on a Node import as well, and the web integration run on a
  // global. Node-only code lives in src/node and src/cli; debugAdapterMain.ts is the stand-alone adapter.
  {
    files: ['src/extension/**/*.ts', 'src/simulator/**/*.ts', 'src/shared/**/*.ts', 'src/web/**/*.ts'],
    ignores: ['src/extension/debug/debugAdapterMain.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'src/simulator must not use the VS Code API.' }],
        patterns: [{
          regex: '^(node:.*|assert|buffer|child_process|crypto|events|fs|fs/promises|http|https|net|os|path|process|stream|url|util|worker_threads|zlib)$',
          message: 'Node modules are not available in the web worker extension host (VS Code for the Web); use vscode.workspace.fs, vscode.Uri, web crypto.',
        }],
      }],
      'no-restricted-globals': ['error',
        ...['process', 'Buffer', 'setImmediate', 'clearImmediate', '__dirname', '__filename', 'require', 'global'].map((name) => ({
          name, message: `${name} is Node-only: it does not exist in the web worker extension host (VS Code for the Web).`,
        })),
      ],
    },
  },
  {
    // src/extension may use vscode (the block above names it for the simulator's sake).
    files: ['src/extension/**/*.ts', 'src/web/**/*.ts'],
    ignores: ['src/extension/debug/debugAdapterMain.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{
          regex: '^(node:.*|assert|buffer|child_process|crypto|events|fs|fs/promises|http|https|net|os|path|process|stream|url|util|worker_threads|zlib)$',
          message: 'Node modules are not available in the web worker extension host (VS Code for the Web); use vscode.workspace.fs, vscode.Uri, web crypto.',
        }],
      }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly', document: 'readonly', window: 'readonly', performance: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
