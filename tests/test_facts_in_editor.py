"""Facts files in the editor: the schema `aicxs init` writes beside the facts template (and
names in its first line) drives the real YAML language server (Red Hat's yaml-language-server,
which VS Code's YAML extension and other editors run), started over stdio by a real LSP
client. An empty fact is fine, a wrong value and a misspelt fact are flagged, and hover shows
the fact's question. Needs Node.js and npm (`bash .ci/install-node.sh`); the server comes from
the npm registry, pinned by tests/data/yaml-language-server/package-lock.json."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pytest_lsp import client_capabilities
from pytest_lsp.client import LanguageClient, make_test_lsp_client

from tests.conftest import ROOT, run_cli

PINNED = ROOT / "tests" / "data" / "yaml-language-server"


@pytest.fixture(scope="module")
def yaml_language_server(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("yaml-ls")
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(PINNED / name, folder / name)
    run = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    return folder / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"


async def start(server: Path, root: Path) -> LanguageClient:
    client = make_test_lsp_client()
    await client.start_io("node", str(server), "--stdio")
    await client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"), root_uri=root.as_uri()
        )
    )
    settings = {"yaml": {"validate": True, "hover": True, "completion": True}}
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=settings))
    return client


async def diagnostics(client: LanguageClient, uri: str, text: str) -> list[lsp.Diagnostic]:
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)
        )
    )
    while uri not in client.diagnostics:
        await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics[uri])


@pytest.mark.asyncio
async def test_the_yaml_language_server_checks_and_explains_facts_with_the_init_schema(
    yaml_language_server: Path, tmp_path: Path
) -> None:
    assert run_cli("init", str(tmp_path), "--org", "Acme Bank").exit_code == 0
    facts = tmp_path / "acme-bank.facts.yaml"
    template = facts.read_text("utf-8")
    client = await start(yaml_language_server, tmp_path)
    try:
        assert await diagnostics(client, facts.as_uri(), template) == []  # all empty: unknown

        wrong = template.replace("    documented:\n", "    documented: maybe\n", 1)
        wrong = wrong.replace("\norganisation:", "\norganisaton:\n  x: 1\norganisation:", 1)
        other = tmp_path / "wrong.facts.yaml"
        found = await diagnostics(client, other.as_uri(), wrong)
        lines = wrong.splitlines()
        assert sorted((d.range.start.line, d.message) for d in found) == [
            (lines.index("organisaton:"), "Property organisaton is not allowed."),
            (
                lines.index("    documented: maybe"),
                "Incorrect type. Expected one of boolean, null.",
            ),
        ]

        line = lines.index("    documented: maybe")
        hover = await client.text_document_hover_async(
            lsp.HoverParams(
                text_document=lsp.TextDocumentIdentifier(uri=other.as_uri()),
                position=lsp.Position(line=line, character=6),
            )
        )
        assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
        assert "Does the organisation have a documented AI strategy?" in hover.contents.value
    finally:
        await client.shutdown_session()
        await client.stop()
