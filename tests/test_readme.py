"""The README lists every rule, with the right default and fix safety."""
import re
from pathlib import Path

from keras_lint.registry import all_rules

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_rule_in_readme_table():
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| (KL\d{3}) \|.*$", README, re.M)}
    assert set(rows) == set(all_rules())
    for code, rule in all_rules().items():
        cells = [c.strip() for c in rows[code].strip("|").split("|")]
        assert cells[2].startswith("on" if rule.default_enabled else "opt-in"), code
        assert cells[3] == (rule.fix_safety or "–"), code
