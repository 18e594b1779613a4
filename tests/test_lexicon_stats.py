from __future__ import annotations

import pandas as pd
import pytest

from safetylab.errors import InputError
from safetylab.lexicon.identity import IdentityLexicon
from safetylab.stats import rate, rate_table


def test_identity_matches_on_word_boundaries() -> None:
    lex = IdentityLexicon()
    found = {f"{g.axis}:{g.name}" for g in lex.find("My Muslim neighbours and two old women")}
    assert {"religion:muslim", "gender:women"} <= found
    assert lex.find("Please manage the mantle") == []  # "man" must not match inside words
    assert [g.name for g in lex.find("Transgender people deserve care")] == ["transgender"]
    assert {g.name for g in lex.find("LGBTQ+ rights and non-binary folks")} >= {
        "lgbtq",
        "nonbinary",
    }


def test_fast_identity_matching_finds_what_the_plain_regexes_find(hh_rows: list[dict]) -> None:
    """`find` lowercases ASCII text and skips texts no term matches; on every turn of the real
    HH file and on non-ASCII text (where Unicode case rules differ from lower()) it names
    exactly the groups the plain case-insensitive per-axis regexes name."""
    lex = IdentityLexicon()

    def plain(text: str) -> list[str]:
        hit = {int(m.lastgroup[1:]) for rx in lex._res for m in rx.finditer(text)}  # type: ignore[index]
        return [f"{lex.groups[i].axis}:{lex.groups[i].name}" for i in sorted(hit)]

    texts = [t for r in hh_rows for t in r["chosen"].split("\n\n")]
    texts += [t for r in hh_rows for t in r["rejected"].split("\n\n")[-1:]]
    texts += [
        "İslam and MUSLIMS",
        "Ünited Arab emirates",
        "BLACK WOMEN in Mexico",
        "anti-muslim",
        "",
    ]
    found = [[f"{g.axis}:{g.name}" for g in lex.find(t)] for t in texts]
    assert found == [plain(t) for t in texts]
    assert sum(bool(f) for f in found) > 100  # the file names groups: the check has teeth
    assert "religion:muslim" in found[-5] and found[-2] == []


def test_custom_lexicon_errors_name_the_field(tmp_path) -> None:
    p = tmp_path / "lex.yaml"
    p.write_text("axes:\n  religion:\n    pastafarian: []\n")
    with pytest.raises(InputError, match="religion.pastafarian"):
        IdentityLexicon.from_file(p)
    p.write_text("axes:\n  hobby:\n    knitters: [knitter*]\n")
    assert [g.name for g in IdentityLexicon.from_file(p).find("Knitters unite")] == ["knitters"]


def test_wilson_interval_known_value() -> None:
    r = rate(12, 100)
    assert r["rate"] == 0.12
    assert r["ci95"] == pytest.approx([0.0700, 0.1981], abs=1e-3)
    assert rate(0, 0)["rate"] is None


def test_rate_table_explodes_list_columns() -> None:
    df = pd.DataFrame({"g": [["a"], ["a", "b"], []], "m": [True, False, True]})
    t = rate_table(df, "g", ["m"])
    assert t["a"]["n"] == 2 and t["a"]["m"]["k"] == 1 and t["b"]["n"] == 1
    assert "nan" not in t
