"""The benchmark report: a partial run replaces only the sections it measured."""

from __future__ import annotations

from tests.bench.report import SECTIONS, Report, parse


def full_report() -> Report:
    report = Report(load_at_start=0.5)
    for number, section in enumerate(SECTIONS, start=1):
        report.figure(section, f"figure {number}", f"{number}0", "<= 99", True)
        report.note(section, f"note of section {number}")
    return report


def test_a_full_run_measures_every_section() -> None:
    text = full_report().render()

    parsed = parse(text)

    assert set(parsed.sections) == set(SECTIONS)
    assert all(body[0].startswith("_Measured") for body in parsed.sections.values())
    assert [len(rows) for rows in parsed.summary.values()] == [1] * len(SECTIONS)


def test_a_partial_run_replaces_its_sections_and_keeps_the_others() -> None:
    previous = full_report().render()
    partial = Report(load_at_start=0.1)
    partial.figure(SECTIONS[5], "figure 6", "66", "<= 99", True)

    text = partial.render(previous)

    parsed = parse(text)
    assert "| 6. figure 6 | 66 | <= 99 | met |" in parsed.summary["6."]
    assert "| 6. figure 6 | 60 | <= 99 | met |" not in text
    assert "note of section 6" not in text
    for number, section in enumerate(SECTIONS[:5], start=1):
        assert parsed.sections[section] == parse(previous).sections[section]
        row = f"| {number}. figure {number} | {number}0 | <= 99 | met |"
        assert parsed.summary[f"{number}."] == [row]


def test_sections_of_a_file_without_their_own_stamp_get_its_header_stamp() -> None:
    previous = "\n".join([
        "# Benchmarks", "", "- Date: 2026-11-22 03:04 UTC", "- Commit: 92f351c", "",
        "## Summary", "", "| Figure | Measured | Target | Verdict |", "|---|---|---|---|",
        "| 1. old | 1 | <= 3 | met |", "", "## 1. Webhook ingest", "", "| old | table |", "",
    ])  # fmt: skip
    partial = Report()
    partial.figure(SECTIONS[5], "figure 6", "66", "<= 99", True)

    parsed = parse(partial.render(previous))

    assert parsed.sections[SECTIONS[0]] == [
        "_Measured 2026-11-22 03:04 UTC at commit 92f351c._", "", "| old | table |",
    ]  # fmt: skip
    assert parsed.summary["1."] == ["| 1. old | 1 | <= 3 | met |"]
    assert parsed.sections[SECTIONS[1]] == ["Not measured yet."]
