"""Keyed table comparison does not depend on row order or on whether the pending maps spilled to disk."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jenkins2flow_runtime.model.shadow import Normalizers, Tolerance

from jenkins2flow.shadow.compare import table
from jenkins2flow.shadow.compare.table import SEP, TableSide, compare_tables
from jenkins2flow.shadow.normalize import Normalizer
from jenkins2flow.shadow.outcome import OutputResult

B_HEADER = ["k", "region", "amount", "note"]
C_HEADER = ["note", "amount", "k", "region", "loaded_at"]  # reordered, one column only in the candidate


def _tables() -> tuple[list[list[str]], list[list[str]]]:
    base = [[str(i), ["north", "south"][i % 2], f"{i * 1.5:.2f}", f"n{i}"] for i in range(60)]
    base[7][3] = f"with{SEP}separator"  # parked as a tuple, not a packed string
    base[8][3] = "a, quoted \"note\"\nover two lines"
    cand_rows = [dict(zip(B_HEADER, r, strict=True)) for r in base]
    cand_rows[3]["amount"] = "4.501"  # within the tolerance
    cand_rows[4]["amount"] = "7.00"  # changed
    cand_rows[5]["region"] = " SOUTH "  # equal once stripped and case-folded
    cand_rows[7]["note"] = f"with{SEP}other"  # changed, both sides parked as tuples
    cand_rows[8]["note"] = "a, quoted \"note\"\nover\nthree lines"  # changed, newlines through the spill files
    del cand_rows[10]  # missing
    cand_rows.append({"k": "99", "region": "west", "amount": "1.00", "note": "new"})  # extra
    cand = [[r[c] if c in r else "t1" for c in C_HEADER] for r in cand_rows]
    cand[20] = cand[20][:3]  # a short row (k=21): its region is compared as ""
    return base, cand


def _compare(base: list[list[str]], cand: list[list[str]], **kw: Any) -> tuple[Any, ...]:
    spec = Normalizers(case_insensitive=True, ignore_fields=["loaded_at"])
    r = compare_tables(TableSide(B_HEADER, base), TableSide(C_HEADER, cand), OutputResult("t", "csv"),
                       norm=Normalizer(spec), tolerances={"amount": Tolerance(abs=0.005, rel=0.0)}, **kw)
    diffs = sorted((d.location, d.kind, d.baseline or "", d.candidate or "", d.detail) for d in r.differences)
    return r.status, r.summary, r.compared, r.total_differences, diffs


@pytest.mark.parametrize("keys", [["k"], ["region", "k"], []])
@pytest.mark.parametrize("spill", [{}, {"spill_rows": 3, "partitions": 4}, {"spill_bytes": 1, "partitions": 3}])
def test_shuffled_input_with_spill_gives_the_same_differences_as_unshuffled(keys: list[str], spill: dict) -> None:
    base, cand = _tables()
    expected = _compare(base, cand, keys=keys)
    rng = random.Random(3)
    shuffled_base, shuffled_cand = base[:], cand[:]
    rng.shuffle(shuffled_base)
    rng.shuffle(shuffled_cand)
    assert _compare(shuffled_base, shuffled_cand, keys=keys, **spill) == expected
    assert _compare(base, shuffled_cand, keys=keys, **spill) == expected
    status, _, compared, total, diffs = expected
    assert status == "different"
    if keys == ["k"]:
        assert compared == 61 and total == 6
        assert [(loc, kind) for loc, kind, *_ in diffs] == [
            ("k=10", "missing"), ("k=21 column=region", "changed"), ("k=4 column=amount", "changed"),
            ("k=7 column=note", "changed"), ("k=8 column=note", "changed"), ("k=99", "extra")]
        assert ("k=4 column=amount", "changed", "6.00", "7.00", "delta +1") in diffs


def test_a_value_with_a_newline_round_trips_through_the_spill() -> None:
    base, cand = _tables()
    status, _, _, _, diffs = _compare(base, list(reversed(cand)), keys=["k"], spill_rows=2, partitions=2)
    assert ("k=8 column=note", "changed", "a, quoted \"note\"\nover two lines", "a, quoted \"note\"\nover\nthree lines",
            "") in diffs


def test_spill_bytes_bounds_the_pending_maps(monkeypatch: pytest.MonkeyPatch) -> None:
    spilled: list[int] = []
    real = table._spill

    def spy(state: Any, *args: Any, **kw: Any) -> None:
        spilled.append(state.pending)
        real(state, *args, **kw)

    monkeypatch.setattr(table, "_spill", spy)
    base, cand = _tables()
    reordered = list(reversed(cand))
    _compare(base, reordered, keys=["k"])
    assert spilled == []
    # each parked row is estimated at its packed length plus ROW_OVERHEAD: 10 rows' worth spills after ~10 pending
    _compare(base, reordered, keys=["k"], spill_bytes=10 * table.ROW_OVERHEAD)
    assert len(spilled) == 1 and 8 <= spilled[0] <= 12


def test_duplicate_keys_pair_first_with_first_with_or_without_spill() -> None:
    header = ["k", "v"]
    base = [["a", "1"], ["b", "1"], ["a", "2"], ["a", "3"]]
    cand = [["a", "1"], ["a", "2"], ["b", "2"], ["a", "4"], ["a", "5"]]

    def run(**kw: Any) -> list[tuple[str, str, str | None, str | None]]:
        r = compare_tables(TableSide(header, base), TableSide(header, cand), OutputResult("t", "csv"),
                           norm=Normalizer(), keys=["k"], **kw)
        return sorted((d.location, d.kind, d.baseline, d.candidate) for d in r.differences)

    expected = [
        ("k=a", "extra", None, "a,5"), ("k=a column=v", "changed", "3", "4"), ("k=b column=v", "changed", "1", "2")]
    assert run() == expected
    assert run(spill_rows=1, partitions=2) == expected


rows_strategy = st.dictionaries(
    st.integers(0, 40).map(str),
    st.tuples(st.sampled_from(["x", " x", "X", "1", "1.0", "", SEP, "a,b"]), st.sampled_from(["p", "q", "\n"])),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(rows_strategy, rows_strategy, st.randoms(use_true_random=False), st.sampled_from([{}, {"spill_rows": 2},
                                                                                          {"spill_bytes": 400}]))
def test_any_order_and_any_spill_give_the_same_differences(
    b: dict[str, tuple[str, str]], c: dict[str, tuple[str, str]], rnd: random.Random, spill: dict,
) -> None:
    header = ["k", "v", "w"]
    base = [[k, *v] for k, v in b.items()]
    cand = [[k, *v] for k, v in c.items()]

    def run(b_rows: list[list[str]], c_rows: list[list[str]], **kw: Any) -> tuple[Any, ...]:
        r = compare_tables(TableSide(header, b_rows), TableSide(header, c_rows), OutputResult("t", "csv"),
                           norm=Normalizer(), keys=["k"], tolerances={"v": Tolerance(abs=0.01, rel=0.0)},
                           partitions=3, **kw)
        return r.summary, sorted((d.location, d.kind, d.baseline or "", d.candidate or "") for d in r.differences)

    expected = run(base, cand)
    rnd.shuffle(base)
    rnd.shuffle(cand)
    assert run(base, cand, **spill) == expected
    missing = sum(1 for d in expected[1] if d[1] == "missing")
    assert missing == len(set(b) - set(c))
