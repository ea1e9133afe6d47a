"""The README's commands run as written: every shell line names a real command and real
options, and its example queries run through ``stripe-qbo-sync query`` on a warehouse with
payouts and a reconcile in it."""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path

import pytest

from shared.cli.main import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# Commands of other tools the deployment guide uses, and shell built-ins.
EXTERNAL = {"gcloud", "terraform", "cd", "export", "read", "printf", "unset", "echo", "jq", "."}
PLACEHOLDER = re.compile(r"^[A-Z][A-Z_.]*$")


def fenced(language: str) -> list[str]:
    return re.findall(rf"^ *```{language}\n(.*?)^ *```", README, flags=re.DOTALL | re.MULTILINE)


def shell_commands() -> list[list[str]]:
    """Every simple command of the README's sh blocks and inline code, as words."""
    commands: list[list[str]] = []
    for block in fenced("sh"):
        text = re.sub(r"\\\n\s*", " ", block)
        for line in text.splitlines():
            words = shlex.split(line, comments=True)
            segment: list[str] = []
            for word in [*words, "&&"]:
                if word in ("&&", "||", "|", ";"):
                    if segment:
                        commands.append(segment)
                    segment = []
                else:
                    segment.append(word)
    for span in re.findall(r"`((?:stripe-qbo-sync|python -m local_emulator|make) [^`]+)`", README):
        commands.append(shlex.split(span))
    return commands


def make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.MULTILINE))


def check_cli(words: list[str], where: str) -> None:
    """The command and its options exist (values are placeholders, not checked here)."""
    name = next((w for w in words if not w.startswith("-")), "")
    if not name or PLACEHOLDER.match(name):
        return  # e.g. `stripe-qbo-sync COMMAND --help`
    parser, commands = build_parser(configure=name)
    assert name in commands, f"{where}: no command {name!r}"
    sub = parser._subparsers._group_actions[0].choices[name]  # type: ignore[union-attr]
    known = {option for action in sub._actions for option in action.option_strings}
    for word in words:
        if word.startswith("--"):
            assert word.split("=")[0] in known, f"{where}: {name} has no option {word}"


def check(words: list[str]) -> None:
    where = " ".join(words)
    program = words[0]
    if program in EXTERNAL or program.endswith("()") or program in ("{", "}"):
        return
    if program == "make":
        assert set(words[1:]) <= make_targets(), f"{where}: no such make target"
    elif program == "stripe-qbo-sync":
        check_cli(words[1:], where)
    elif program in ("python", "python3"):
        assert program == "python", f"{where}: `python` is the activated environment's"
        if words[1] == "-m":
            module = words[2]
            assert module != "uv", f"{where}: uv is not in the environment (make installs it)"
            assert importlib.util.find_spec(module) is not None, f"{where}: no module {module}"
            if module == "local_emulator":
                check_cli(words[3:], where)
        else:
            assert (ROOT / words[1]).is_file(), f"{where}: no file {words[1]}"
    elif program == "add_secret":
        assert "add_secret()" in README
    else:
        pytest.fail(f"README shows a command nobody installs: {where}")


def test_every_shell_command_is_real() -> None:
    commands = shell_commands()
    assert len(commands) > 20
    programs = {c[0] for c in commands}
    assert {"make", "stripe-qbo-sync", "python"} <= programs
    for words in commands:
        check(words)


def test_a_wrong_command_would_be_caught() -> None:
    with pytest.raises(AssertionError, match="no option --nope"):
        check(["stripe-qbo-sync", "report", "--nope"])
    with pytest.raises(AssertionError, match="no command"):
        check(["python", "-m", "local_emulator", "serve"])
    with pytest.raises(AssertionError, match="uv is not in the environment"):
        check(["python", "-m", "uv", "run", "x"])


def sql_statements() -> list[str]:
    statements = []
    for block in fenced("sql"):
        text = "\n".join(line for line in block.splitlines() if not line.startswith("--"))
        statements += [s.strip() for s in text.split(";") if s.strip()]
    return statements


def test_the_example_queries_run_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = (
        ROOT / "local_emulator" / "scenarios" / "payouts" / "payout_refund_and_disputes.jsonl"
    )
    out = tmp_path / "run"
    assert main(["reconcile", "--events", str(scenario), "--out", str(out)]) in (0, 1)
    warehouse = str(out / ".state" / "warehouse.duckdb")
    statements = sql_statements()
    assert len(statements) >= 7
    capsys.readouterr()
    for sql in statements:
        assert main(["query", "--warehouse", warehouse, "--format", "json", sql]) == 0, sql
        capsys.readouterr()
    payouts = (
        "SELECT payout_id, status FROM analyst_payout_reconciliation WHERE status = 'BALANCED'"
    )
    assert main(["query", "--warehouse", warehouse, payouts]) == 0
    assert "BALANCED" in capsys.readouterr().out
