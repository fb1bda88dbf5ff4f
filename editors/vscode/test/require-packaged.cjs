// Loads an unpacked .vsix's extension.js, and the language client from its node_modules, with a
// stand-in for the `vscode` module that answers every property: proof that the package holds
// every runtime dependency. `node test/require-packaged.cjs UNPACKED/extension`
'use strict';

const Module = require('node:module');
const path = require('node:path');

const handler = {
  get: (_, key) => (key === 'then' ? undefined : stub()),
  apply: () => stub(),
  construct: () => stub(),
};
function stub() {
  return new Proxy(function vscode() {}, handler);
}

const realLoad = Module._load;
Module._load = function load(request, parent, isMain) {
  return request === 'vscode' ? stub() : realLoad.call(this, request, parent, isMain);
};

const root = path.resolve(process.argv[2]);
const extension = require(path.join(root, 'extension.js'));
const client = require(require.resolve('vscode-languageclient/node', { paths: [root] }));
if (!require.resolve('vscode-languageclient/node', { paths: [root] }).startsWith(root)) {
  throw new Error('vscode-languageclient was found outside the package');
}
console.log(`activate: ${typeof extension.activate}, LanguageClient: ${typeof client.LanguageClient}`);
