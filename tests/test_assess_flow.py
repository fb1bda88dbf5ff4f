"""The first hour with `aicxs assess`: `init`'s template has no example system to be asked about
(an old template's example is offered to be dropped), skips are remembered in the facts file,
`back` works for any front end driving `Session`, and an answers file's mistakes are reported
all at once, with nothing written. The terminal runs go through a real terminal (pexpect)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from aicxs.engine.onboarding.cli import _assessed_policy
from aicxs.engine.onboarding.questionnaire import (
    AddItem,
    Ask,
    AskId,
    Confirm,
    GroupStart,
    Rejected,
    Session,
    Undone,
)
from tests.conftest import AS_OF, run_cli
from tests.test_questionnaire import ADD, ITEM_ID, Terminal, pruned

DAY = dt.date.fromisoformat(AS_OF)


def init(tmp_path: Path) -> tuple[Path, Path]:
    r = run_cli("init", str(tmp_path), "--org", "Shop Co")
    assert r.exit_code == 0
    return tmp_path / "shop-co.aicx", tmp_path / "shop-co.facts.yaml"


def test_init_then_assess_asks_about_no_example_system(tmp_path: Path) -> None:
    policy, facts = init(tmp_path)
    # init's own "next" command, as printed
    t = Terminal(tmp_path, policy.name, "-o", facts.name)
    t.expect(r"Resuming from shop-co\.facts\.yaml: nothing is answered yet\.")
    t.expect(r"Add an AI system\? \[y/n\]: ")  # not "another": nothing is recorded
    t.answer("y")
    t.expect(ITEM_ID)
    t.answer("shop-chat")
    assert t.question() == "systems[shop-chat].name"
    t.answer("Shop chatbot")
    t.expect(ADD)
    t.answer("n")
    assert t.question() == "organisation.strategy.documented"
    t.child.sendintr()
    assert t.finish() == 1
    assert "example-chatbot" not in " ".join(t.asked)
    check = run_cli("check", str(policy), "--facts", str(facts), "--as-of", AS_OF)
    assert "(1 system, 1 in scope)" in check.stdout
    assert "example-chatbot" not in check.stdout


OLD_TEMPLATE_SYSTEMS = "systems:\n  - id: example-chatbot\n    name:\n    kind:\n"


def test_an_old_templates_example_system_is_offered_to_be_dropped(tmp_path: Path) -> None:
    """Templates written before the example became a comment list it as a real system."""
    policy, facts = init(tmp_path)
    text = facts.read_text("utf-8")
    facts.write_text(text[: text.index("\nsystems:")] + "\n" + OLD_TEMPLATE_SYSTEMS, "utf-8")
    t = Terminal(tmp_path, policy.name, "-o", facts.name)
    t.expect(r"1 AI system recorded: example-chatbot\.")
    t.expect(
        r"`example-chatbot` is the example system of the `aicxs init` template, with nothing "
        r"recorded for it\.\r?\nKeep `example-chatbot` as an AI system\? \[y/n\]: "
    )
    t.answer("n")
    t.expect(r"Add an AI system\? \[y/n\]: ")
    t.answer("n")
    assert t.question() == "organisation.strategy.documented"
    t.child.sendintr()
    assert t.finish() == 1
    data = _assessed_policy(str(policy)).load_facts(facts).data
    assert data.get("systems") in (None, [])
    assert "example-chatbot" not in facts.read_text("utf-8")


def test_an_old_templates_example_kept_is_asked_about_like_any_system(tmp_path: Path) -> None:
    compiled = _assessed_policy(None)
    session = Session(compiled, {"systems": [{"id": "example-chatbot"}]}, as_of=DAY)
    steps = list(_drive(session, {"Confirm": "y", "AddItem": "n"}, stop_at_pillars=False))
    assert any(isinstance(s, Confirm) for s in steps)
    asked = [s.question.shown for s in steps if isinstance(s, Ask)]
    assert asked[0] == "systems[example-chatbot].name"
    assert "systems[example-chatbot].customer_facing" in asked


def _drive(session: Session, replies: dict[str, str], stop_at_pillars: bool = True) -> Any:
    """Drive a session: `replies` by step kind (or by fact path for an `Ask`), else skip."""
    steps = session.run()
    reply: str | None = None
    while True:
        try:
            step = steps.send(reply)
        except StopIteration:
            return
        yield step
        if stop_at_pillars and isinstance(step, GroupStart) and step.title.startswith("P1"):
            return
        reply = None
        if isinstance(step, Ask):
            reply = replies.get(step.question.shown, "")
        elif isinstance(step, AddItem | AskId | Confirm):
            reply = replies.get(type(step).__name__, "n")


# ---- back and skips, as a web front end sees them -------------------------------------------


class Replies:
    """A front end's replies, in order; the steps it saw."""

    def __init__(self, session: Session, replies: list[str]) -> None:
        self.steps: list[Any] = []
        self.replies = list(replies)
        gen = session.run()
        reply: str | None = None
        while True:
            try:
                step = gen.send(reply)
            except StopIteration:
                return
            self.steps.append(step)
            reply = None
            if isinstance(step, Ask | AddItem | AskId | Confirm):
                if not self.replies:
                    return  # the front end stops here, at an open prompt
                reply = self.replies.pop(0)

    def asked(self) -> list[str]:
        return [s.question.shown for s in self.steps if isinstance(s, Ask)]


def test_back_is_a_reply_like_any_other() -> None:
    session = Session(_assessed_policy(None), as_of=DAY)
    replies = ["n", "yes", "back", "no", "back", "back", "y", "back", "y", "web", "back"]
    replies += ["n", "yes", "", "2026-01-01"]
    seen = Replies(session, replies)
    undone = [s.what for s in seen.steps if isinstance(s, Undone)]
    assert undone == [
        "organisation.strategy.documented",  # the answer `yes`
        "organisation.strategy.documented",  # the answer `no`
        "whether to add more to `systems`",  # the `n` to "Add an AI system?"
        "the new item",  # back at the id prompt: no item yet
        "systems[web]",  # back at its name: the system is taken back
    ]
    documented, aligned = (
        "organisation.strategy.documented",
        ("organisation.strategy.aligned_to_cx_objectives"),
    )
    assert seen.asked()[:5] == [documented, aligned, documented, aligned, documented]
    assert session.data["organisation"]["strategy"] == {
        "documented": True,
        "last_reviewed": dt.date(2026, 1, 1),
    }
    assert list(session.skipped) == ["organisation.strategy.aligned_to_cx_objectives"]
    assert "systems" not in session.data  # the system taken back: the list unknown again
    assert (session.asked, session.recorded, len(session.history)) == (3, 2, 4)


def test_back_at_the_first_prompt_is_refused() -> None:
    seen = Replies(Session(_assessed_policy(None), as_of=DAY), ["back", "n"])
    assert [type(s).__name__ for s in seen.steps[:4]] == [
        "GroupStart",
        "AddItem",
        "Rejected",
        "AddItem",
    ]
    assert isinstance(seen.steps[2], Rejected)
    assert seen.steps[2].message == "nothing to go back to: this is the first question"


def test_skips_are_remembered_in_the_facts_file_and_read_back(tmp_path: Path) -> None:
    compiled = _assessed_policy(None)
    session = Session(compiled, as_of=DAY)
    Replies(session, ["n", "yes", "", "skip", "back", "skip"])  # a skip taken back, skipped
    assert list(session.skipped) == [
        "organisation.strategy.aligned_to_cx_objectives",
        "organisation.strategy.last_reviewed",
    ]
    text = session.facts_text()
    assert '\nskipped:\n  - "organisation.strategy.aligned_to_cx_objectives"\n' in text
    facts = compiled.parse_facts(text, "facts.yaml")
    assert facts.skipped == session.skipped_still()
    # a later session does not ask them; asked again on request
    later = Replies(Session(compiled, facts.data, as_of=DAY, skipped=facts.skipped), ["n", "x"])
    assert not set(later.asked()) & set(facts.skipped)
    again = Replies(
        Session(compiled, facts.data, as_of=DAY, skipped=facts.skipped, ask_skipped=True),
        ["n", "x"],
    )
    assert again.asked()[0] == facts.skipped[0]


def test_skipped_is_no_fact_for_check(tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text(
        "organisation:\n  strategy:\n    documented: true\n"
        'skipped:\n  - "organisation.strategy.last_reviewed"\n',
        "utf-8",
    )
    r = run_cli(
        "check",
        "policies/startup.aicx",
        "--facts",
        str(facts),
        "--as-of",
        AS_OF,
        "--format",
        "json",
    )
    assert r.exit_code == 1 and r.stderr == ""
    json_facts = tmp_path / "facts.json"
    json_facts.write_text('{"skipped": ["organisation.strategy.documented"], "systems": []}')
    assert run_cli("check", "policies/startup.aicx", "--facts", str(json_facts)).exit_code == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("skipped: yes\n")
    r = run_cli("check", "policies/startup.aicx", "--facts", str(bad))
    assert r.exit_code == 2 and "`skipped` should be a list" in r.stderr
    schema = run_cli("schema", "policies/startup.aicx").stdout
    assert '"skipped": {' in schema


def test_an_answers_file_does_not_remember_what_it_leaves_unanswered(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("organisation.strategy.documented: yes\n")
    r = run_cli(
        "assess",
        "-o",
        str(tmp_path / "f.yaml"),
        "--answers",
        str(tmp_path / "a.yaml"),
        "--as-of",
        AS_OF,
    )
    assert r.exit_code == 1
    assert "skipped:" not in (tmp_path / "f.yaml").read_text("utf-8")


# ---- an answers file: every mistake at once -------------------------------------------------

WRONG = """\
organisation.strategy.documented: perhaps
organisation.strategy.documentd: yes
organisation.governance.meeting_interval: fortnightly
systems[web].customer_facing: yes
systems[web].escalation.max_wait: fast
systems[web].risk: extreme
"""


def test_every_mistake_of_an_answers_file_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(WRONG, "utf-8")
    out = tmp_path / "f.yaml"
    r = run_cli("assess", "-o", str(out), "--answers", str(tmp_path / "a.yaml"), "--as-of", AS_OF)
    assert r.exit_code == 2
    err = r.stderr.replace(str(tmp_path), "<tmp>")
    headers = [line for line in err.splitlines() if line.startswith("<tmp>/a.yaml:")]
    assert headers == [
        "<tmp>/a.yaml:1:35: aicxs_answers_invalid: `organisation.strategy.documented`: `perhaps` is not yes or no: answer yes or no, or skip",
        "<tmp>/a.yaml:2:1: aicxs_answers_unknown_fact: `organisation.strategy.documentd` is not a fact of the vocabulary",
        "<tmp>/a.yaml:3:43: aicxs_answers_invalid: `organisation.governance.meeting_interval`: `fortnightly` is not a duration: write a number and a unit, e.g. 90 days or 120 seconds (units: seconds, minutes, hours, days, weeks, months or years)",
        "<tmp>/a.yaml:5:35: aicxs_answers_invalid: `systems[web].escalation.max_wait`: `fast` is not a duration: write a number and a unit, e.g. 90 days or 120 seconds (units: seconds, minutes, hours, days, weeks, months or years)",
        "<tmp>/a.yaml:6:20: aicxs_answers_invalid: `systems[web].risk`: `extreme` is not a choice: choose one of: low, medium, high",
    ]
    assert err.rstrip().endswith("5 errors; nothing was evaluated")
    assert not out.exists()  # nothing written


def test_a_system_name_is_asked_with_its_id_from_an_answers_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "systems[web].name: Web chat\nsystems[web].customer_facing: yes\n", "utf-8"
    )
    r = run_cli(
        "assess",
        "-o",
        str(tmp_path / "f.yaml"),
        "--answers",
        str(tmp_path / "a.yaml"),
        "--as-of",
        AS_OF,
    )
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    at = lines.index("What is the system's identifier in the AI inventory? [e.g. web-chat]: web")
    assert lines[at + 2].startswith("[AI systems, question 1 of ")
    assert lines[at + 2].endswith("] systems[web].name")
    data = _assessed_policy(None).load_facts(tmp_path / "f.yaml").data
    assert pruned(data["systems"])[0]["name"] == "Web chat"


def test_an_answers_file_keeps_the_old_example_only_when_it_answers_for_it(
    tmp_path: Path,
) -> None:
    policy, facts = init(tmp_path)
    text = facts.read_text("utf-8")
    old = text[: text.index("\nsystems:")] + "\n" + OLD_TEMPLATE_SYSTEMS
    answers = tmp_path / "a.yaml"
    for given, kept in (("", False), ("systems[example-chatbot].name: Our bot\n", True)):
        facts.write_text(old, "utf-8")
        answers.write_text(given or "organisation.strategy.documented: yes\n", "utf-8")
        r = run_cli(
            "assess", str(policy), "-o", str(facts), "--answers", str(answers), "--as-of", AS_OF
        )
        assert r.exit_code == 1, r.stderr
        assert f"Keep `example-chatbot` as an AI system? [y/n]: {'y' if kept else 'n'}" in r.stdout
        systems = _assessed_policy(str(policy)).load_facts(facts).data.get("systems")
        assert (pruned(systems) == [{"id": "example-chatbot", "name": "Our bot"}]) is kept
