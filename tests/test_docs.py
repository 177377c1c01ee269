"""Rule documentation: the generated pages and catalog are in sync, and `keras-lint rule` forms."""
import json
import re

import pytest

from keras_lint import catalog, docs
from keras_lint.registry import all_rules
from util import keras_lint


def test_generated_files_are_in_sync():
    """Run `python -m keras_lint.docs` after changing a rule's docstring, name or defaults."""
    for rel, text in docs.generated().items():
        path = docs.REPO / rel
        assert path.exists(), f"{rel} missing: run python -m keras_lint.docs"
        assert path.read_text(encoding="utf-8") == text, f"{rel} out of date: run python -m keras_lint.docs"
    pages = {p.name for p in (docs.REPO / docs.DOCS_DIR).glob("KL*.md")}
    assert pages == {f"{code}.md" for code in all_rules()}


def test_catalog_matches_the_rule_classes():
    assert list(catalog.RULES) == list(all_rules())
    for code, rule in all_rules().items():
        entry = catalog.RULES[code]
        assert (entry.name, entry.default_enabled, entry.default_targets, entry.fix_safety) == (
            rule.name, rule.default_enabled, tuple(rule.default_targets), rule.fix_safety)


def test_every_page_has_the_six_sections_and_links_its_fixture():
    for code in all_rules():
        text = (docs.REPO / docs.DOCS_DIR / f"{code}.md").read_text()
        for section in ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "References"):
            assert f"\n## {section}\n" in text, (code, section)
        assert f"(../../fixtures/{code}/)" in text and (docs.REPO / "fixtures" / code).is_dir()


@pytest.mark.parametrize("query,codes", [
    (["KL401"], ["KL401"]),
    (["kl401"], ["KL401"]),
    (["removed-obtain-input-shape"], ["KL401"]),
    (["KL40"], ["KL401", "KL402", "KL403", "KL404", "KL405", "KL406", "KL407", "KL408", "KL409"]),
    (["KL601", "KL101", "KL6"], ["KL101", "KL601", "KL602"]),
])
def test_rule_by_code_slug_or_prefix(query, codes):
    r = keras_lint("rule", *query, "--output-format", "json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert [g["code"] for g in got] == codes
    assert all(g["url"] == f"https://github.com/keras-lint/keras-lint/blob/main/docs/rules/{g['code']}.md" for g in got)


def test_rule_all_and_text():
    r = keras_lint("rule", "--all", "--output-format", "json")
    assert [g["code"] for g in json.loads(r.stdout)] == list(all_rules())
    text = keras_lint("rule", "KL401", "KL402").stdout.decode()
    assert text.count("## What it does") == 2 and text.startswith("# KL401 (removed-obtain-input-shape)")
    r = keras_lint("rule", "KL999")
    assert r.returncode == 2 and "unknown rule 'KL999'" in r.stderr.decode()
    assert keras_lint("rule").returncode == 2


def test_references_are_sources_users_can_open():
    """Public documentation and this repository's fixture, not the project's internal notes."""
    for code, rule in all_rules().items():
        refs = rule.doc_sections()["References"]
        assert "https://" in refs, code
        assert f"fixtures/{code}/" in refs, code
        for internal in ("seed", "catalog.md"):
            assert internal not in refs.lower(), (code, internal)


# The project's internal notes ("seed 001 §16", "seeds 000, 001", "the seed's guard",
# shared/seeds/, catalog.md): users cannot open them. "the same seed" (random numbers) is fine.
_INTERNAL = re.compile(r"\bseeds?\b(?:\s+\d{3}|'s|/)|shared/seeds|catalog\.md|internal notes", re.IGNORECASE)


def test_internal_pattern_catches_what_it_must():
    assert _INTERNAL.search("fails (seed 001 §16).") and _INTERNAL.search("(seeds 000, 001 and 003)")
    assert _INTERNAL.search("The seed's own guard") and _INTERNAL.search("see shared/seeds/002.md")
    assert not _INTERNAL.search("other numbers for the same seed") and not _INTERNAL.search("tf.random.set_seed(1)")


def test_no_rule_docs_or_message_cite_internal_notes():
    for code, rule in all_rules().items():
        for where, text in (("docs", rule.docs()), ("message", rule.message)):
            found = _INTERNAL.search(text)
            assert found is None, f"{code} {where} cites internal notes: {found.group(0)!r}"


def test_fixtures_cite_no_internal_notes():
    """The fixtures are the rule docs' runnable reference, and `verify` prints their reasons."""
    for path in sorted((docs.REPO / "fixtures").rglob("*")):
        if path.is_file() and path.suffix in (".py", ".toml", ".ipynb", ".md"):
            found = _INTERNAL.search(path.read_text(encoding="utf-8"))
            assert found is None, f"{path.relative_to(docs.REPO)} cites internal notes: {found.group(0)!r}"
