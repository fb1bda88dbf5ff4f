"""The package as an embedder gets it: the built wheel, installed outside the repository.

One import root (`aicxs`) and nothing else on the import path; a folder holding `spec.py`,
`engine/` and `cli.py` changes nothing; an embedding script passes `mypy --strict`; library calls
leave the garbage collector alone; policies and reports cross processes; arguments are checked
where they are given; the bundled standard can be named from any folder.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import os
import pickle
import shutil
import subprocess
import sys
import sysconfig
import threading
import types
import zipfile
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest

import aicxs
from tests.conftest import ROOT, run_cli

TELECOM = ROOT / "policies" / "telecom.aicx"
TELECOM_FACTS = ROOT / "policies" / "telecom.facts.yaml"
AS_OF = "2026-11-27"
PIP = (sys.executable, "-m", "pip")
NOT_SOURCES = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "node_modules")
MYPY = (sys.executable, "-m", "mypy", "--strict", "--no-incremental")

EMBEDDING_SCRIPT = """\
from __future__ import annotations

import sys

import aicxs


def verdict(policy_path: str, facts_path: str) -> str:
    policy: aicxs.Policy = aicxs.load_policy(policy_path)
    report: aicxs.Report = policy.evaluate(facts_path, as_of="2026-11-27", explain="none")
    verdict: aicxs.Verdict = report.verdict
    return verdict.value


if __name__ == "__main__":
    print(verdict(sys.argv[1], sys.argv[2]))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a clean copy of the sources (a `build/` folder left by an earlier build
    would otherwise lend the wheel files the sources no longer have)."""
    out, tree = tmp_path_factory.mktemp("wheel"), tmp_path_factory.mktemp("src") / "aicxs"
    shutil.copytree(ROOT, tree, symlinks=True, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    subprocess.run(
        [*PIP, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(tree)],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("aicxs-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment's Python with the wheel installed in its site-packages;
    the dependencies come from this environment's site-packages (named in a `.pth` file, so
    nothing is downloaded and the repository's editable install is not seen)."""
    home = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home)], check=True)
    python = home / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    subprocess.run(
        [*PIP, "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    ours = sysconfig.get_paths()["purelib"]
    (site / "_dependencies.pth").write_text(ours + "\n")
    return python


@pytest.fixture
def decoys(tmp_path: Path) -> Path:
    """A folder with the generic names the package must not collide with."""
    (tmp_path / "spec.py").write_text("raise ImportError('the decoy spec.py was imported')\n")
    (tmp_path / "engine").mkdir()
    (tmp_path / "engine" / "__init__.py").write_text("raise ImportError('decoy engine')\n")
    (tmp_path / "cli.py").write_text("raise ImportError('the decoy cli.py was imported')\n")
    return tmp_path


def run_installed(python: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [python, *args],
        cwd=cwd,
        env={**env, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_wheel_puts_only_aicxs_on_the_import_path(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"aicxs", wheel.name.split("-py3")[0] + ".dist-info"}
    assert "aicxs/py.typed" in names
    assert "aicxs/aicxs_dsl/grammar.tables" in names
    assert "aicxs/spec/aicxs-2024.aicx" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not [n for n in names if n.startswith("aicxs/tests/")]


def test_the_wheel_metadata_says_what_it_is(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        [meta] = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]
        text = z.read(meta).decode("utf-8")
    assert "License-Expression: Apache-2.0" in text
    assert "Classifier: Typing :: Typed" in text
    assert "Provides-Extra: serve" in text
    requires = [line for line in text.splitlines() if line.startswith("Requires-Dist:")]
    base = [line for line in requires if "extra ==" not in line]
    assert not [line for line in base if "uvicorn" in line or "starlette" in line]
    description = text.split("\n\n", 1)[1]
    assert "](" not in description.replace("](#", "")  # no link the index page cannot follow


def test_a_folder_of_decoys_changes_nothing_for_the_command(venv: Path, decoys: Path) -> None:
    where = run_installed(venv, decoys, "-c", "import aicxs; print(aicxs.__file__)")
    assert "site-packages" in where.stdout and str(ROOT) not in where.stdout, where.stderr
    run = run_installed(
        venv,
        decoys,
        "-m",
        "aicxs",
        "check",
        str(TELECOM),
        "--facts",
        str(TELECOM_FACTS),
        "--as-of",
        AS_OF,
    )
    assert run.returncode == 1, run.stderr
    assert "Verdict:  NOT CERTIFIED" in run.stdout
    assert "decoy" not in run.stderr


def test_an_embedding_script_works_among_decoys_and_passes_mypy_strict(
    venv: Path, decoys: Path
) -> None:
    script = decoys / "embed.py"
    script.write_text(EMBEDDING_SCRIPT)
    run = run_installed(venv, decoys, str(script), str(TELECOM), str(TELECOM_FACTS))
    assert (run.returncode, run.stdout, run.stderr) == (0, "not_certified\n", "")
    typed = subprocess.run(
        [*MYPY, "--python-executable", str(venv), str(script)],
        cwd=decoys,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert typed.returncode == 0, typed.stdout


def test_the_bundled_standard_is_named_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    docs = run_cli("docs", "AICXS-2024")
    assert docs.exit_code == 0 and docs.stdout.startswith("# AICXS 2024")
    catalog = run_cli("export", "oscal-catalog", "AICXS-2024", "--as-of", AS_OF)
    assert catalog.exit_code == 0 and '"catalog"' in catalog.stdout
    shown = run_cli("docs", "spec/aicxs-2024.aicx")  # the path messages and SARIF cite
    assert shown.exit_code == 0 and shown.stdout == docs.stdout


def test_evaluation_leaves_the_garbage_collector_on() -> None:
    policy = aicxs.load_policy(TELECOM)
    facts = policy.load_facts(TELECOM_FACTS)
    samples: list[bool] = []
    running = threading.Event()
    running.set()

    def sample() -> None:
        while running.is_set():
            samples.append(gc.isenabled())

    sampler = threading.Thread(target=sample)
    sampler.start()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: policy.evaluate(facts, as_of=AS_OF), range(40)))
    running.clear()
    sampler.join()
    assert samples and all(samples)


def test_policies_reports_and_errors_survive_pickle() -> None:
    policy = aicxs.load_policy(TELECOM)
    report = policy.evaluate(TELECOM_FACTS, as_of=AS_OF)
    again = pickle.loads(pickle.dumps(policy))
    assert again.evaluate(TELECOM_FACTS, as_of=AS_OF).to_json() == report.to_json()
    assert pickle.loads(pickle.dumps(report)).to_json() == report.to_json()
    with pytest.raises(aicxs.AicxsError) as err:
        aicxs.parse_policy("policy x implements AICXS 2024 {")
    copy = pickle.loads(own_pickle(err.value))
    assert copy.code == err.value.code == "aicxs_unclosed_block"
    assert [d.message for d in copy.diagnostics] == [d.message for d in err.value.diagnostics]


def own_pickle(value: object) -> bytes:
    """Pickled by the object's own `__reduce__`: Dask, which other tests load, registers tblib's
    reducer for every exception class (it pickles tracebacks and contexts), which is Dask's
    choice for its own workers, not what an embedder's pickle does."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out)
    pickler.dispatch_table = {}
    pickler.dump(value)
    return out.getvalue()


def _verdict_in_a_worker(policy: aicxs.Policy, facts: str) -> aicxs.Report:
    return policy.evaluate(facts, as_of=AS_OF)


def test_a_policy_and_its_report_cross_a_process_pool() -> None:
    policy = aicxs.load_policy(TELECOM)
    with ProcessPoolExecutor(1) as pool:
        report = pool.submit(_verdict_in_a_worker, policy, str(TELECOM_FACTS)).result()
    assert report.verdict is aicxs.Verdict.NOT_CERTIFIED
    assert report.to_json() == policy.evaluate(TELECOM_FACTS, as_of=AS_OF).to_json()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"explain": "bogus"}, "explain must be one of 'fails', 'full', 'none', not 'bogus'"),
        ({"as_of": "27/11/2026"}, "as_of must be a date written YYYY-MM-DD, not '27/11/2026'"),
        ({"as_of": 20261127}, "as_of must be a date or a YYYY-MM-DD string, not int"),
        ({"as_of": dt.datetime(2026, 11, 27)}, "as_of must be a date, not a datetime"),
    ],
)
def test_bad_arguments_are_value_errors_naming_the_argument(
    kwargs: dict[str, object], message: str
) -> None:
    policy = aicxs.load_policy(TELECOM)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        policy.evaluate({}, **kwargs)  # type: ignore[arg-type]


def test_as_of_may_be_a_date_or_its_iso_text() -> None:
    policy = aicxs.load_policy(TELECOM)
    by_text = policy.evaluate(TELECOM_FACTS, as_of=AS_OF)
    by_date = policy.evaluate(TELECOM_FACTS, as_of=dt.date(2026, 11, 27))
    assert by_text.to_json() == by_date.to_json()


def test_a_report_gives_no_more_explanation_than_was_recorded() -> None:
    policy = aicxs.load_policy(TELECOM)
    quick = policy.evaluate(TELECOM_FACTS, as_of=AS_OF, explain="none")
    assert all(r["explanation"] is None for r in quick.to_dict()["results"])
    with pytest.raises(ValueError, match="evaluated with explain='none'"):
        quick.to_dict(explain="fails")
    explained = policy.evaluate(TELECOM_FACTS, as_of=AS_OF)
    brief = explained.to_dict(explain="none")["results"]
    assert [r["status"] for r in brief] == [r["status"] for r in quick.to_dict()["results"]]
    assert all(r["explanation"] is None for r in brief)


def test_facts_text_is_read_as_json_or_yaml_as_it_is_written() -> None:
    policy = aicxs.load_policy(TELECOM)
    as_json = policy.parse_facts('{"systems": [{"id": "a", "customer_facing": true}]}')
    assert as_json.path == "<facts>.json"
    with pytest.raises(aicxs.AicxsError) as err:
        policy.parse_facts('{"organisation": {}, "organisation": {}}')
    assert err.value.code == "aicxs_facts_duplicate_key"
    yaml = policy.parse_facts("systems:\n  - id: a\n", format="yaml")
    assert yaml.data["systems"][0]["id"] == "a"
    with pytest.raises(ValueError, match="format must be 'auto', 'yaml' or 'json'"):
        policy.parse_facts("{}", format="toml")  # type: ignore[arg-type]


def test_the_public_api_is_what_all_lists() -> None:
    names = {n for n in dir(aicxs) if not n.startswith("_")}
    public = {n for n in names if not isinstance(getattr(aicxs, n), types.ModuleType)}
    assert public <= set(aicxs.__all__)
    assert aicxs.__version__ == "0.1.0"
    assert isinstance(aicxs.Status.PASS, str) and aicxs.Verdict.CERTIFIED == "certified"


def test_serve_without_its_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a)
    )
    run = run_cli("serve")
    assert run.exit_code == 2
    assert "pip install 'aicxs[serve]'" in run.stderr and "uvicorn missing" in run.stderr


def test_lsp_without_its_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pygls" else real(name, *a)
    )
    run = run_cli("lsp")
    assert run.exit_code == 2
    assert "pip install 'aicxs[lsp]'" in run.stderr and "pygls missing" in run.stderr
