// extension.js against stand-ins for the `vscode` API and the language client, with node's own
// test runner: `node --test test/extension.test.js`. It checks what the extension decides
// (which command it starts, with which arguments, the message when the command is missing),
// not VS Code itself.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const Module = require('node:module');
const os = require('node:os');
const path = require('node:path');
const { test, beforeEach } = require('node:test');

const recorded = { errors: [], clients: [], commands: {}, output: [] };
let settings = {};
let folder;

const vscodeStub = {
  workspace: {
    getConfiguration: () => ({ get: (key) => settings[key] }),
    get workspaceFolders() {
      return folder ? [{ uri: { fsPath: folder } }] : undefined;
    },
    createFileSystemWatcher: (glob) => ({ glob, dispose() {} }),
    onDidChangeConfiguration: () => ({ dispose() {} }),
    onDidGrantWorkspaceTrust: () => ({ dispose() {} }),
  },
  window: {
    createOutputChannel: () => ({ appendLine: (line) => recorded.output.push(line), dispose() {} }),
    showErrorMessage: async (message, ...actions) => {
      recorded.errors.push({ message, actions });
      return undefined;
    },
  },
  commands: {
    registerCommand: (name, callback) => {
      recorded.commands[name] = callback;
      return { dispose() {} };
    },
    executeCommand: async () => undefined,
  },
};

class FakeLanguageClient {
  constructor(id, name, serverOptions, clientOptions) {
    Object.assign(this, { id, name, serverOptions, clientOptions, started: false, stopped: false });
    recorded.clients.push(this);
  }
  async start() {
    this.started = true;
  }
  async stop() {
    this.stopped = true;
  }
}

// Serve the stand-ins to extension.js's require() calls.
const realLoad = Module._load;
Module._load = function load(request, parent, isMain) {
  if (request === 'vscode') return vscodeStub;
  if (request === 'vscode-languageclient/node') return { LanguageClient: FakeLanguageClient };
  return realLoad.call(this, request, parent, isMain);
};
const extension = require('../extension.js');

function executable(dir, name) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, '#!/bin/sh\n');
  fs.chmodSync(file, 0o755);
  return file;
}

beforeEach(async () => {
  await extension.deactivate();
  Object.assign(recorded, { errors: [], clients: [], commands: {}, output: [] });
  settings = {};
  folder = undefined;
});

test('a missing command gives a readable error and starts no client', async () => {
  settings = { 'server.command': 'aicxs-does-not-exist', 'server.args': ['lsp'] };
  await extension.activate({ subscriptions: [] });
  assert.equal(recorded.clients.length, 0);
  assert.equal(recorded.errors.length, 1);
  const { message, actions } = recorded.errors[0];
  assert.match(message, /"aicxs-does-not-exist" was not found/);
  assert.match(message, /pip install 'aicxs\[lsp\]'/);
  assert.match(message, /aicxs\.server\.command/);
  assert.deepEqual(actions, ['Open Settings']);
});

test('the configured command is started with exactly the configured arguments', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aicxs-ext-'));
  const server = executable(dir, 'aicxs');
  settings = { 'server.command': server, 'server.args': ['lsp', '--verbose'] };
  await extension.activate({ subscriptions: [] });
  assert.equal(recorded.errors.length, 0);
  assert.equal(recorded.clients.length, 1);
  const client = recorded.clients[0];
  assert.equal(client.id, 'aicxs'); // so `aicxs.trace.server` traces this client
  assert.equal(client.serverOptions.command, server);
  assert.deepEqual(client.serverOptions.args, ['lsp', '--verbose']);
  assert.equal(client.serverOptions.transport, undefined); // no `--stdio` appended
  assert.deepEqual(
    client.clientOptions.documentSelector.map((selector) => selector.language),
    ['aicx', 'aicx'],
  );
  assert.ok(client.started);
  assert.ok('aicxs.restartServer' in recorded.commands);
});

test('the defaults are `aicxs lsp`, looked up on PATH', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aicxs-ext-'));
  const server = executable(dir, 'aicxs');
  const savedPath = process.env.PATH;
  process.env.PATH = `${dir}${path.delimiter}${savedPath}`;
  try {
    await extension.activate({ subscriptions: [] });
  } finally {
    process.env.PATH = savedPath;
  }
  assert.equal(recorded.clients[0].serverOptions.command, server);
  assert.deepEqual(recorded.clients[0].serverOptions.args, ['lsp']);
});

test('restarting stops the running client and starts a new one', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aicxs-ext-'));
  settings = { 'server.command': executable(dir, 'aicxs'), 'server.args': ['lsp'] };
  await extension.activate({ subscriptions: [] });
  await recorded.commands['aicxs.restartServer']();
  assert.equal(recorded.clients.length, 2);
  assert.ok(recorded.clients[0].stopped);
  assert.ok(recorded.clients[1].started);
});

test('findExecutable: PATH lookup, ${workspaceFolder} paths, and files that cannot run', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aicxs-ext-'));
  const server = executable(dir, 'aicxs');
  fs.writeFileSync(path.join(dir, 'not-executable'), '');
  const env = { PATH: `/nonexistent${path.delimiter}${dir}` };
  assert.equal(extension.findExecutable('aicxs', { env, platform: 'linux' }), server);
  assert.equal(extension.findExecutable('not-executable', { env, platform: 'linux' }), undefined);
  assert.equal(extension.findExecutable('./aicxs', { env: {}, platform: 'linux', cwd: dir }), server);
  assert.equal(extension.findExecutable(server, { env: {}, platform: 'linux' }), server);
  assert.equal(extension.findExecutable('aicxs', { env: {}, platform: 'linux' }), undefined);
});

test('settings expand ${workspaceFolder} and resolve relative paths against it', async () => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'aicxs-ext-'));
  fs.mkdirSync(path.join(folder, 'bin'));
  const server = executable(path.join(folder, 'bin'), 'aicxs');
  settings = { 'server.command': '${workspaceFolder}/bin/aicxs', 'server.args': ['lsp'] };
  await extension.activate({ subscriptions: [] });
  assert.equal(recorded.clients[0].serverOptions.command, server);
  assert.equal(recorded.clients[0].serverOptions.options.cwd, folder);
});
