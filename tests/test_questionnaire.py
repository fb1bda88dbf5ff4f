"""`aicxs assess`: the questionnaire generated from the facts vocabulary.

Driven through a real terminal (pexpect): answering, skipping, a wrong answer re-asked, Ctrl-C
and resuming from the partial file, which validates and gives the expected verdict. Also the
non-interactive `--answers` run (transcript pinned), the grouping by pillar, which questions
are skipped as irrelevant, typed answers, and mistakes in an answers file."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest

from aicxs.engine.loader import load_policy
from aicxs.engine.onboarding.answers import Bounds, parse_answer
from aicxs.engine.onboarding.cli import _assessed_policy
from aicxs.engine.onboarding.questionnaire import AddItem, Ask, AskId, GroupStart, Rejected, Session
from aicxs.engine.onboarding.questionnaire_plan import plan
from aicxs.engine.types import Duration, Type
from tests.conftest import AS_OF, run_cli

AICXS = Path(sys.executable).parent / "aicxs"  # the console script of the venv running the tests
DAY = dt.date.fromisoformat(AS_OF)

QUESTION = r"\[(pillar \d of \d|facts no check reads|AI systems), question (\d+) of (\d+)\] (\S+)[^\n]*\n(?:  choices:[^\n]*\n)?[^\n]*\]: "
ADD = r"Add (?:an|another) AI system\? \[y/n\]: "
ITEM_ID = r"identifier in the AI inventory\? \[e\.g\. web-chat\]: "
VERDICT = r"Verdict:  ([A-Z ]+)\r?\n"


def pruned(value: Any) -> Any:
    """Facts without the empty records of a questionnaire's unanswered questions."""
    if isinstance(value, dict):
        return {k: pruned(v) for k, v in value.items() if pruned(v) != {}}
    if isinstance(value, list):
        return [pruned(v) for v in value]
    return value


class Terminal:
    """`aicxs assess` in a pseudo-terminal, answered prompt by prompt."""

    def __init__(self, cwd: Path, *args: str) -> None:
        env = {**os.environ, "NO_COLOR": "1", "AICXS_AS_OF": AS_OF}
        self.child = pexpect.spawn(
            str(AICXS),
            ["assess", *args],
            cwd=str(cwd),
            env=env,
            encoding="utf-8",
            timeout=30,
            dimensions=(50, 250),
        )
        self.asked: list[str] = []  # fact paths in the order they were asked
        self.numbers: list[tuple[int, int]] = []  # (question number, total) of each
        self.labels: list[str] = []  # `pillar 2 of 6`, `AI systems`, ... of each

    def expect(self, pattern: str) -> re.Match[str]:
        self.child.expect(pattern)
        assert isinstance(self.child.match, re.Match)
        return self.child.match

    def question(self) -> str:
        m = self.expect(QUESTION)
        self.labels.append(m.group(1))
        self.asked.append(m.group(4))
        self.numbers.append((int(m.group(2)), int(m.group(3))))
        return m.group(4)

    def answer(self, text: str) -> None:
        self.child.sendline(text)

    def answer_all(self, answers: dict[str, str]) -> str:
        """Answer every question from `answers` (skipping the others) up to the verdict."""
        while True:
            i = self.child.expect([QUESTION, VERDICT])
            m = self.child.match
            assert isinstance(m, re.Match)
            if i == 1:
                return m.group(1).strip()
            self.asked.append(m.group(4))
            self.numbers.append((int(m.group(2)), int(m.group(3))))
            self.answer(answers.get(m.group(4), ""))

    def finish(self) -> int:
        self.child.expect(pexpect.EOF)
        self.child.close()
        return int(self.child.exitstatus)


def test_answer_skip_reask_interrupt_and_resume_through_a_terminal(tmp_path: Path) -> None:
    t = Terminal(tmp_path, "-o", "facts.yaml")
    t.expect(r"Add an AI system\? \[y/n\]: ")
    t.answer("maybe")
    t.expect("invalid: answer y or n")
    t.expect(ADD)
    t.answer("y")
    t.expect(ITEM_ID)
    t.answer("web chat")
    t.expect(r"invalid: an id is letters, digits")
    t.expect(ITEM_ID)
    t.answer("web-chat")
    assert t.question() == "systems[web-chat].name"  # its name first, with its id
    t.answer("Web chat assistant")
    t.expect(ADD)
    t.answer("n")
    t.expect(r"== P1 AI Governance & Strategy \(pillar 1 of 6\) ==")
    assert t.question() == "organisation.strategy.documented"
    assert t.numbers[-1][0] == 2
    t.answer("yes")
    assert t.question() == "organisation.strategy.aligned_to_cx_objectives"
    t.answer("")  # skipped: stays unknown, and is remembered
    assert t.question() == "organisation.strategy.last_reviewed"
    t.answer("31/12/2025")
    t.expect(r"invalid: `31/12/2025` is not a date: write YYYY-MM-DD")
    assert t.question() == "organisation.strategy.last_reviewed"  # asked again
    assert t.numbers[-1] == t.numbers[-2]
    t.answer("2026-06-01")
    skipped_too = []
    while not t.question().startswith("systems[web-chat].automated"):  # the rest of pillar 1
        skipped_too.append(t.asked[-1])
        t.answer("skip")
    t.child.sendintr()  # Ctrl-C in pillar 2
    t.expect(r"Interrupted: 3 answers of this session are saved in facts\.yaml; run the same")
    assert t.finish() == 1

    compiled = _assessed_policy(None)
    partial = compiled.load_facts(tmp_path / "facts.yaml")  # valid, and holds what was answered
    assert partial.data["organisation"]["strategy"] == {
        "documented": True,
        "last_reviewed": dt.date(2026, 6, 1),
    }
    assert pruned(partial.data["systems"]) == [{"id": "web-chat", "name": "Web chat assistant"}]
    assert partial.skipped == ["organisation.strategy.aligned_to_cx_objectives", *skipped_too]

    t = Terminal(tmp_path, "-o", "facts.yaml")
    skipped = len(partial.skipped)
    t.expect(
        rf"Resuming from facts\.yaml: 3 facts already answered and {skipped} skipped are not "
        r"asked again; 1 AI system recorded: web-chat\."
    )
    t.expect(r"  recorded so far: web-chat\r?\n")
    t.expect(r"Add another AI system\? \[y/n\]: ")
    t.answer("n")
    verdict = t.answer_all(
        {
            "systems[web-chat].customer_facing": "yes",
            "systems[web-chat].escalation.available": "no",
            "systems[web-chat].disclosure.method": "2",  # a choice by its number: spoken
        }
    )
    assert verdict == "NOT CERTIFIED"
    assert t.finish() == 1
    assert t.asked[0].startswith("systems[web-chat].automated")  # where Ctrl-C left off
    assert not set(t.asked) & {"organisation.strategy.aligned_to_cx_objectives", *skipped_too}
    assert "organisation.strategy.documented" not in t.asked
    assert [n for n, _ in t.numbers] == list(range(1, len(t.numbers) + 1))
    assert t.numbers[-1][0] == t.numbers[-1][1]  # the last question is "N of N"
    assert "systems[web-chat].escalation.max_wait" not in t.asked  # no escalation: no wait

    final = compiled.load_facts(tmp_path / "facts.yaml")
    web_chat = final.data["systems"][0]
    assert pruned(web_chat["escalation"]) == {"available": False}
    assert pruned(web_chat["disclosure"]) == {"method": "spoken"}
    assert final.data["organisation"]["strategy"]["documented"] is True
    report = compiled.evaluate(final, DAY, explain="none")
    assert report.verdict == "not_certified"
    assert report.result("KR2").status.value == "fail"

    t = Terminal(tmp_path, "-o", "facts.yaml", "--ask-skipped")  # the skips, asked again
    t.expect(r"Add another AI system\? \[y/n\]: ")
    t.answer("n")
    assert t.question() == "organisation.strategy.aligned_to_cx_objectives"
    t.answer("yes")
    t.question()  # the next remembered skip: this answer is in
    t.child.sendintr()
    assert t.finish() == 1
    again = compiled.load_facts(tmp_path / "facts.yaml")
    assert again.data["organisation"]["strategy"]["aligned_to_cx_objectives"] is True
    assert "organisation.strategy.aligned_to_cx_objectives" not in again.skipped
    assert again.skipped and set(again.skipped) <= set(final.skipped)


def test_back_takes_the_previous_answer_back_through_a_terminal(tmp_path: Path) -> None:
    t = Terminal(tmp_path, "-o", "facts.yaml")
    t.expect(r"Add an AI system\? \[y/n\]: ")
    t.answer("back")
    t.expect("invalid: nothing to go back to: this is the first question")
    t.expect(r"Add an AI system\? \[y/n\]: ")
    t.answer("y")
    t.expect(ITEM_ID)
    t.answer("back")  # no id yet: back to the question before
    t.expect(r"Add an AI system\? \[y/n\]: ")
    t.answer("y")
    t.expect(ITEM_ID)
    t.answer("shop-chat")
    assert t.question() == "systems[shop-chat].name"
    t.answer("back")  # takes the new system back
    t.expect(r"back: systems\[shop-chat\] is asked again")
    t.expect(r"Add an AI system\? \[y/n\]: ")
    t.answer("y")
    t.expect(ITEM_ID)
    t.answer("shop-chat")
    assert t.question() == "systems[shop-chat].name"
    t.answer("Shop chatbot")
    t.expect(ADD)
    t.answer("n")
    assert t.question() == "organisation.strategy.documented"
    first = t.numbers[-1]
    t.answer("yes")  # the wrong answer
    assert t.question() == "organisation.strategy.aligned_to_cx_objectives"
    t.answer("back")
    t.expect(r"back: organisation\.strategy\.documented is asked again")
    assert t.question() == "organisation.strategy.documented"
    assert t.numbers[-1] == first  # the same question, the same number
    t.answer("no")
    assert t.question() == "organisation.strategy.aligned_to_cx_objectives"
    t.answer("")  # a skip ...
    assert t.question() == "organisation.strategy.last_reviewed"
    t.answer("undo")  # ... taken back, too
    t.expect(r"back: organisation\.strategy\.aligned_to_cx_objectives is asked again")
    assert t.question() == "organisation.strategy.aligned_to_cx_objectives"
    t.answer("yes")
    assert t.question() == "organisation.strategy.last_reviewed"
    t.child.sendintr()
    assert t.finish() == 1
    facts = _assessed_policy(None).load_facts(tmp_path / "facts.yaml")
    assert facts.data["organisation"]["strategy"] == {
        "documented": False,
        "aligned_to_cx_objectives": True,
    }
    assert pruned(facts.data["systems"]) == [{"id": "shop-chat", "name": "Shop chatbot"}]
    assert facts.skipped == []


def test_back_crosses_into_the_systems_and_the_previous_pillar(tmp_path: Path) -> None:
    t = Terminal(tmp_path, "-o", "facts.yaml")
    t.expect(r"Add an AI system\? \[y/n\]: ")
    t.answer("n")
    assert t.question() == "organisation.strategy.documented"
    t.answer("back")  # back over "no more systems"
    t.expect(r"back: whether to add more to `systems` is asked again")
    t.expect(r"== AI systems \(added one by one, before the pillars\) ==")
    t.expect(r"Add an AI system\? \[y/n\]: ")
    t.answer("n")
    t.expect(r"== P1 AI Governance & Strategy")
    t.question()
    while t.labels[-1] == "pillar 1 of 6":
        t.answer("skip")
        t.question()
    # at the first question after pillar 1 (pillar 2 has none without systems): back shows
    # pillar 1 again, and going on, the next pillar again
    following = t.labels[-1]
    assert following != "pillar 1 of 6"
    t.answer("back")
    t.expect(r"== P1 AI Governance & Strategy \(pillar 1 of 6\) ==")
    last_of_p1 = t.question()
    assert last_of_p1 == t.asked[-3]  # the question before
    t.answer("skip")
    t.expect(rf"== P\d [^\n]*\({following}\) ==")
    again = t.question()
    assert again == t.asked[-3]  # the question `back` was typed at
    t.child.sendintr()
    assert t.finish() == 1


def test_interrupt_before_any_answer_writes_nothing(tmp_path: Path) -> None:
    t = Terminal(tmp_path, "-o", "facts.yaml")
    t.expect(ADD)
    t.child.sendintr()
    t.expect("Interrupted before any new answer: nothing was written.")
    assert t.finish() == 1
    assert not (tmp_path / "facts.yaml").exists()


# ---- the non-interactive run --------------------------------------------------------------

ANSWERS = """\
organisation.strategy.documented: yes
organisation.strategy.aligned_to_cx_objectives: true
organisation.strategy.last_reviewed: 2026-06-01
organisation.governance.meeting_interval: 30 days
organisation.training.staff_trained_share: 0.95
systems[voice-ivr].customer_facing: yes
systems[voice-ivr].automated_decisions: no
systems[voice-ivr].channel: voice
systems[voice-ivr].disclosure.method: terms_only
systems[voice-ivr].escalation.available: no
systems[voice-ivr].escalation.max_wait: 60 seconds
systems[voice-ivr].bias_testing.characteristics_tested: [age, sex]
systems[scorer].customer_facing: no
systems[scorer].automated_decisions: yes
systems[scorer].disclosure.at_first_turn: yes
"""


def assess(tmp_path: Path, answers: str, *extra: str) -> tuple[int, str, str]:
    (tmp_path / "answers.yaml").write_text(answers, "utf-8")
    r = run_cli(
        "assess",
        "-o",
        str(tmp_path / "facts.yaml"),
        "--answers",
        str(tmp_path / "answers.yaml"),
        "--as-of",
        AS_OF,
        *extra,
    )
    assert "Traceback" not in r.stdout + r.stderr
    return (
        r.exit_code,
        r.stdout.replace(str(tmp_path), "<tmp>"),
        r.stderr.replace(str(tmp_path), "<tmp>"),
    )


def test_answers_file_runs_without_questions(tmp_path: Path, snapshot) -> None:
    code, out, err = assess(tmp_path, ANSWERS, "policies/telecom.aicx")
    assert (code, err) == (1, "")
    assert out == snapshot
    compiled = load_policy("policies/telecom.aicx")
    facts = compiled.load_facts(tmp_path / "facts.yaml")
    voice, scorer = facts.data["systems"]
    assert pruned(voice["escalation"]) == {"available": False}  # no wait: it does not apply
    assert voice["bias_testing"]["characteristics_tested"] == ["age", "sex"]
    assert pruned(scorer).get("disclosure") is None  # not customer-facing: not asked
    assert compiled.evaluate(facts, DAY, explain="none").verdict == "not_certified"


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (
            "organisation.strategy.documentd: yes\n",
            "did you mean `organisation.strategy.documented`?",
        ),
        (
            "systems[web].escalaton.available: yes\n",
            "did you mean `systems[ID].escalation.available`?",
        ),
        ("- a list\n", "aicxs_answers_shape"),
        (
            "systems[web].customer_facing: perhaps\n",
            "answers.yaml:1:31: aicxs_answers_invalid: `systems[web].customer_facing`: `perhaps` is not yes or no",
        ),
    ],
)
def test_mistakes_in_an_answers_file(tmp_path: Path, answers: str, message: str) -> None:
    code, _, err = assess(tmp_path, answers)
    assert code == 2
    assert message in err


def test_answers_file_mistake_is_located(tmp_path: Path, snapshot) -> None:
    _, _, err = assess(
        tmp_path, "systems[web].customer_facing: yes\nsystems[web].escalation.max_wait: fast\n"
    )
    assert err == snapshot


# ---- the plan: facts grouped by the pillar that reads them ---------------------------------


def test_facts_are_grouped_by_the_pillar_whose_checks_read_them() -> None:
    planned = plan(load_policy("policies/telecom.aicx"))
    groups = {g.id: g for g in planned.groups}
    assert [g for g in groups] == ["P1", "P2", "P3", "P4", "P5", "P6", "Other"]
    p1 = [".".join(f.path) for f in groups["P1"].early]
    assert p1[:3] == [
        "organisation.strategy.documented",
        "organisation.strategy.aligned_to_cx_objectives",
        "organisation.strategy.last_reviewed",
    ]
    p4 = [".".join(f.path) for f in groups["P4"].items]
    assert "systems.escalation.available" in p4
    assert "systems.priority_care_routing" in p4  # the policy's own fact, read by rule VT-1
    assert [".".join(f.path) for f in groups["P6"].late] == [
        "organisation.experimentation.framework_documented"  # asked after the systems' answers
    ]
    # a system's name is read by no check: asked with its id, not last under "Other"
    assert [".".join(f.path) for f in planned.naming_facts] == ["systems.name"]
    assert groups["Other"].facts() == []


def drive(
    session: Session, reply: Callable[[Any], str], expect_rejections: bool = False
) -> Iterator[Any]:
    steps = session.run()
    answer: str | None = None
    while True:
        try:
            step = steps.send(answer)
        except StopIteration:
            return
        yield step
        if isinstance(step, Rejected) and not expect_rejections:
            raise AssertionError(step.message)
        answer = reply(step) if isinstance(step, Ask | AddItem | AskId) else None


def asked(session: Session, answers: dict[str, str], items: list[str]) -> list[str]:
    todo = list(items)

    def reply(step: Any) -> str:
        match step:
            case AddItem():
                return "y" if todo else "n"
            case AskId():
                return todo.pop(0)
        return answers.get(step.question.shown, "")

    return [s.question.shown for s in drive(session, reply) if isinstance(s, Ask)]


def test_questions_that_cannot_matter_are_not_asked() -> None:
    compiled = load_policy("policies/telecom.aicx")
    shown = asked(
        Session(compiled, as_of=DAY),
        {
            "systems[bot].customer_facing": "no",
            "systems[bot].automated_decisions": "no",
            "systems[chat].customer_facing": "yes",
            "systems[chat].escalation.available": "yes",
            "systems[chat].consent.basis": "contract",
            "systems[chat].augmentation.mode": "automate",
        },
        ["bot", "chat"],
    )
    bot = [q for q in shown if q.startswith("systems[bot]")]
    chat = [q for q in shown if q.startswith("systems[chat]")]
    assert not any(".disclosure." in q or ".escalation." in q or ".explanations." in q for q in bot)
    assert "systems[chat].escalation.max_wait" in chat  # escalation is available
    assert "systems[chat].consent.withdrawable" not in chat  # the basis is not consent
    assert "systems[chat].augmentation.human_fallback" in chat  # it automates
    assert "systems[chat].priority_care_routing" in chat  # rule VT-1, customer-facing only
    assert "systems[bot].priority_care_routing" not in bot
    assert shown.index("organisation.experimentation.framework_documented") > shown.index(
        "systems[chat].ab_testing.runs_experiments"
    )


def test_the_policy_scope_is_asked_first_and_out_of_scope_systems_are_not_asked() -> None:
    compiled = load_policy("policies/retail-bank.aicx")
    shown = asked(
        Session(compiled, as_of=DAY),
        {
            "systems[pilot].customer_facing": "no",
            "systems[pilot].automated_decisions": "no",
            "systems[pilot].lifecycle": "internal_pilot",
            "systems[live].customer_facing": "yes",
        },
        ["pilot", "live"],
    )
    # Each system's name first, then what decides its scope: the scope reads three facts; for
    # the pilot all three decide that it is out of scope, for the live system the first
    # decides that it is in.
    assert shown[:6] == [
        "systems[pilot].name",
        "systems[pilot].customer_facing",
        "systems[pilot].automated_decisions",
        "systems[pilot].lifecycle",
        "systems[live].name",
        "systems[live].customer_facing",
    ]
    assert [q for q in shown if q.startswith("systems[pilot]")] == [
        "systems[pilot].name",
        "systems[pilot].customer_facing",
        "systems[pilot].automated_decisions",
        "systems[pilot].lifecycle",
    ]
    assert "systems[live].risk_assessed" in shown


def test_numbers_get_their_bounds_from_the_schema() -> None:
    compiled = load_policy("policies/startup.aicx")
    training = compiled.schema["properties"]["organisation"]["properties"]["training"]
    training["properties"]["staff_trained_share"].update(minimum=0, maximum=1)
    session = Session(compiled, {"systems": []}, as_of=DAY)
    typed = iter(["1.5", "0.8"])
    seen: list[Any] = []

    def share(step: Any) -> str:
        if isinstance(step, AddItem):
            return "n"
        return next(typed) if step.question.shown.endswith("share") else ""

    for step in drive(session, share, expect_rejections=True):
        if isinstance(step, Ask) and step.question.shown.endswith("share"):
            seen.append(step.question.prompt)
        if isinstance(step, Rejected):
            seen.append(step.message)
    assert seen == [
        "What share of those staff (0 to 1) have completed the AI training? [a number from 0 to 1, or skip]",
        "`1.5` is out of range: give a number from 0 to 1",
        "What share of those staff (0 to 1) have completed the AI training? [a number from 0 to 1, or skip]",
    ]
    assert session.data["organisation"]["training"]["staff_trained_share"] == 0.8


def test_each_group_says_how_many_questions_it_will_ask() -> None:
    session = Session(
        _assessed_policy(None), {"systems": [{"id": "a", "customer_facing": False}]}, as_of=DAY
    )
    starts = [
        s
        for s in drive(session, lambda s: "n" if isinstance(s, AddItem) else "")
        if isinstance(s, GroupStart)
    ]
    assert [s.label for s in starts] == [  # no "Other": every fact left is read by a check
        "added one by one, before the pillars",
        *(f"pillar {n} of 6" for n in range(1, 7)),
    ]
    assert starts[1].title == "P1 AI Governance & Strategy"
    assert starts[-1].title == "P6 Performance & Continuous Learning"
    assert all(s.pending > 0 for s in starts[1:])


# ---- typed answers ---------------------------------------------------------------------------

ENUM = Type("enum", values=("low", "medium", "high"))


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("Yes", Type("bool"), True),
        ("n", Type("bool"), False),
        ("12", Type("int"), 12),
        ("0.85", Type("number"), 0.85),
        ("2026-02-28", Type("date"), dt.date(2026, 2, 28)),
        ("90 days", Type("duration"), Duration(90 * 86400)),
        ("2 weeks", Type("duration"), Duration(14 * 86400)),
        ("1 minute", Type("duration"), Duration(60)),
        ("HIGH", ENUM, "high"),
        ("2", ENUM, "medium"),
        ("age, sex,", Type("list", item=Type("string")), ["age", "sex"]),
        ("  Jo Smith, CAIO ", Type("string"), "Jo Smith, CAIO"),
        ("skip", Type("bool"), None),
        ("", Type("date"), None),
    ],
)
def test_answers_are_typed(text: str, kind: Type, value: object) -> None:
    got = parse_answer(text, kind)
    assert (got.value, got.error) == (value, "")


@pytest.mark.parametrize(
    ("text", "kind", "error"),
    [
        ("maybe", Type("bool"), "`maybe` is not yes or no: answer yes or no, or skip"),
        ("1.5", Type("int"), "`1.5` is not a whole number: write digits, e.g. 12"),
        ("lots", Type("number"), "`lots` is not a number: write digits, e.g. 0.85"),
        (
            "2026-02-30",
            Type("date"),
            "`2026-02-30` is not a date of the calendar: check the month and day",
        ),
        (
            "90",
            Type("duration"),
            "`90` is not a duration: write a number and a unit, e.g. 90 days or 120 seconds (units: seconds, minutes, hours, days, weeks, months or years)",
        ),
        (
            "hihg",
            ENUM,
            "`hihg` is not a choice: did you mean `high`? choose one of: low, medium, high",
        ),
        ("4", ENUM, "`4` is not a choice: choose one of: low, medium, high"),
        ("5", Type("number"), "`5` is out of range: give a number from 0 to 1"),
    ],
)
def test_wrong_answers_say_what_to_write(text: str, kind: Type, error: str) -> None:
    got = parse_answer(text, kind, Bounds(0, 1))
    assert (got.value, got.error) == (None, error)
