#!/usr/bin/env node
// Tokenizes .aicx files with the extension's TextMate grammar the way VS Code does
// (vscode-textmate on the Oniguruma WebAssembly build from node_modules; nothing is downloaded)
// and prints one token a line, for the tests and for reading the grammar's output by eye.
//
//   node test/tokenize.mjs [--json] FILE...
//
// Default output, per file: `== FILE`, then `LINE:COL TEXT SCOPE` with TEXT as a JSON string and
// SCOPE the token's most specific scope. With --json: JSON Lines, one object a token,
// {"path", "line", "col", "text", "scopes"} with every scope, outermost first.
// Lines and columns are 1-based (columns count UTF-16 code units, as VS Code does);
// whitespace-only tokens are left out. Exit codes: 0 done, 2 usage or unreadable file.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const EXTENSION = join(dirname(fileURLToPath(import.meta.url)), '..');
const GRAMMAR = join(EXTENSION, 'syntaxes', 'aicx.tmLanguage.json');

function loadModules() {
  try {
    return [require('vscode-textmate'), require('vscode-oniguruma')];
  } catch (error) {
    fail(`${error.message}\nInstall the dev dependencies first: (cd ${EXTENSION} && npm ci)`);
  }
}

function fail(message) {
  process.stderr.write(`tokenize: ${message}\n`);
  process.exit(2);
}

async function loadGrammar() {
  const [textmate, oniguruma] = loadModules();
  const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  // Pass an exact ArrayBuffer: a Buffer's .buffer may be a larger shared pool.
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName) =>
      scopeName === 'source.aicx'
        ? textmate.parseRawGrammar(readFileSync(GRAMMAR, 'utf8'), GRAMMAR)
        : null,
  });
  return [textmate, await registry.loadGrammar('source.aicx')];
}

// Yields {line, col, text, scopes} for every token that is not whitespace only.
function* tokenize(textmate, grammar, source) {
  let stack = textmate.INITIAL;
  const lines = source.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    const result = grammar.tokenizeLine(line, stack);
    for (const token of result.tokens) {
      const text = line.slice(token.startIndex, token.endIndex);
      if (text.trim() !== '') {
        yield { line: index + 1, col: token.startIndex + 1, text, scopes: token.scopes };
      }
    }
    stack = result.ruleStack;
  }
}

async function main(argv) {
  const json = argv.includes('--json');
  const files = argv.filter((arg) => arg !== '--json');
  if (files.length === 0 || files.some((arg) => arg.startsWith('-'))) {
    fail('usage: node test/tokenize.mjs [--json] FILE...');
  }
  const [textmate, grammar] = await loadGrammar();
  const out = [];
  for (const path of files) {
    let source;
    try {
      source = readFileSync(path, 'utf8');
    } catch (error) {
      fail(error.message);
    }
    if (!json) out.push(`== ${path}`);
    for (const t of tokenize(textmate, grammar, source)) {
      out.push(
        json
          ? JSON.stringify({ path, line: t.line, col: t.col, text: t.text, scopes: t.scopes })
          : `${t.line}:${t.col} ${JSON.stringify(t.text)} ${t.scopes[t.scopes.length - 1]}`,
      );
    }
  }
  process.stdout.write(out.join('\n') + '\n');
}

await main(process.argv.slice(2));
