// The aicxs extension's only code: it starts the aicxs language server (`aicxs lsp` unless the
// settings say otherwise) over stdio for .aicx files. Highlighting, brackets, comments and
// folding are declared in package.json and work without the server. Plain CommonJS, run as is:
// there is no build step.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

const NAME = 'AICXS Language Server';
let client;
let output;

/**
 * Finds the executable that `command` names, as spawning it would: an absolute path or a path
 * with a separator (relative to `cwd`) is checked as is, a bare name is looked up on PATH (with
 * PATHEXT on Windows). Returns the absolute path, or undefined when there is no such program.
 */
function findExecutable(command, { env = process.env, platform = process.platform, cwd } = {}) {
  const windows = platform === 'win32';
  const extensions = windows ? ['', ...(env.PATHEXT || '.COM;.EXE;.BAT;.CMD').split(';')] : [''];
  const separators = windows ? /[\\/]/ : /\//;
  const pathKey = Object.keys(env).find((key) => key.toUpperCase() === 'PATH') || 'PATH';
  const candidates = separators.test(command)
    ? [path.resolve(cwd || process.cwd(), command)]
    : (env[pathKey] || '')
        .split(windows ? ';' : ':')
        .filter((dir) => dir !== '')
        .map((dir) => path.join(dir, command));
  for (const candidate of candidates) {
    for (const extension of extensions) {
      const file = candidate + extension;
      try {
        if (fs.statSync(file).isFile()) {
          fs.accessSync(file, fs.constants.X_OK);
          return file;
        }
      } catch {
        // not there, or not executable: try the next candidate
      }
    }
  }
  return undefined;
}

/** The server command and arguments from the settings, with `~` and ${workspaceFolder} expanded. */
function serverSettings() {
  const settings = vscode.workspace.getConfiguration('aicxs');
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const expand = (value) =>
    String(value)
      .replace(/^~(?=$|[\\/])/, os.homedir())
      .replace(/\$\{workspaceFolder\}/g, folder ?? '');
  const command = expand(settings.get('server.command') || 'aicxs');
  const args = (settings.get('server.args') ?? ['lsp']).map(expand);
  return { command, args, cwd: folder };
}

async function startClient() {
  const { command, args, cwd } = serverSettings();
  const executable = findExecutable(command, { cwd });
  if (executable === undefined) {
    output.appendLine(`Not started: the command "${command}" was not found (PATH=${process.env.PATH}).`);
    const choice = await vscode.window.showErrorMessage(
      `AICXS: the language server command "${command}" was not found. Install it with ` +
        '"pip install \'aicxs[lsp]\'" in the Python environment VS Code sees, or set ' +
        '"aicxs.server.command" to the full path of aicxs. Highlighting works without it.',
      'Open Settings',
    );
    if (choice === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'aicxs.server');
    }
    return;
  }
  // No `transport` on purpose: with TransportKind.stdio the client would append `--stdio` to
  // the arguments; without it, it runs exactly `command args` and talks over stdin and stdout.
  const serverOptions = { command: executable, args, options: cwd ? { cwd } : {} };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'aicx' },
      { scheme: 'untitled', language: 'aicx' },
    ],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.aicx') },
    outputChannel: output,
  };
  output.appendLine(`Starting: ${[executable, ...args].join(' ')}`);
  client = new LanguageClient('aicxs', NAME, serverOptions, clientOptions);
  try {
    await client.start();
  } catch (error) {
    // The client has already shown its own notification and logged the details.
    output.appendLine(`The language server did not start: ${error}`);
  }
}

async function stopClient() {
  const running = client;
  client = undefined;
  if (running !== undefined) {
    try {
      await running.stop();
    } catch (error) {
      output.appendLine(`Stopping the language server failed: ${error}`);
    }
  }
}

async function restartClient() {
  await stopClient();
  await startClient();
}

async function activate(context) {
  output = vscode.window.createOutputChannel(NAME);
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand('aicxs.restartServer', restartClient),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('aicxs.server')) {
        void restartClient();
      }
    }),
    // Once the workspace is trusted its own aicxs.server.* settings apply: start with them.
    vscode.workspace.onDidGrantWorkspaceTrust(() => void restartClient()),
  );
  await startClient();
}

function deactivate() {
  return stopClient();
}

module.exports = { activate, deactivate, findExecutable };
