"""The parsers on the corpus: Jenkinsfile rates (stages, shell scripts, false errors), every config.xml parsed with
every child kept, the kinds the corpus holds, and nothing raises on mutated corpus text."""

from __future__ import annotations

import random
from collections import Counter

import corpus_rates
from conftest import CORPUS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jenkins2flow.parse.job_xml import parse_config_xml
from tests.parse.test_jenkinsfile import EDITS, check_edited_never_raises
from tests.parse.test_job_xml import CONTAINERS, _expected_children
from tests.parse.test_xml_blank_text import _INNERS, _LEAF, _job, _usual

JENKINSFILES = sorted(p for p in (CORPUS / "jenkinsfiles").glob("*") if p.is_file())
CONFIGS = sorted((CORPUS / "configxml").glob("*.xml"))


def test_jenkinsfiles_meet_the_bars() -> None:
    r = corpus_rates.measure(JENKINSFILES, show_misses=False)
    assert r["files"] == len(JENKINSFILES) > 100
    assert r["stages"] >= corpus_rates.BARS["stages"], r
    assert r["scripts"] >= corpus_rates.BARS["scripts"], r
    assert r["error_files"] <= corpus_rates.BARS["error_files"], r


def _snippets() -> list[str]:
    rnd = random.Random(7)
    out = []
    for f in rnd.sample(JENKINSFILES, min(20, len(JENKINSFILES))):
        t = f.read_text(encoding="utf-8", errors="replace")
        start = rnd.randrange(max(1, len(t) - 1500))
        out.append(t[start : start + 1500])
    return out


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_snippets()), EDITS)
def test_mutated_jenkinsfile_snippets_never_raise(snippet: str, edits: list[tuple[int, int, str]]) -> None:
    check_edited_never_raises(snippet, edits)


def test_every_config_xml_parses_and_keeps_every_child() -> None:
    assert len(CONFIGS) >= 100
    kept = total = 0
    for f in CONFIGS:
        data = f.read_bytes()
        job = parse_config_xml(data, str(f), f.stem)
        assert job.kind in ("freestyle", "pipeline", "matrix", "maven", "folder", "multibranch", "unsupported"), f
        assert not [d for d in job.diagnostics if d.code in ("malformed-xml", "internal-error")], f
        expected = _expected_children(data)
        for container, attr in CONTAINERS.items():
            got = Counter((p.raw.tag if p.raw else p.cls, p.span.line) for p in getattr(job, attr) if p.raw)
            assert got == expected[container], (f, container)
            kept += sum(got.values())
            total += sum(expected[container].values())
        assert expected["triggers"] <= Counter((t.plugin, t.span.line) for t in job.triggers), f
        kept += sum(expected["triggers"].values())
        total += sum(expected["triggers"].values())
    assert kept == total and total > 500


def test_config_xml_kinds() -> None:
    kinds = Counter(parse_config_xml(f.read_bytes(), str(f), f.stem).kind for f in CONFIGS)
    assert kinds["freestyle"] >= 50 and kinds["pipeline"] >= 10 and kinds["matrix"] >= 10
    assert kinds["maven"] >= 5 and kinds["multibranch"] >= 5 and kinds["folder"] >= 1
    assert kinds["unsupported"] == 11  # 5 MultiJob, 5 BuildFlow, 1 ExternalJob


def test_a_multibranch_job_with_three_branch_sources() -> None:
    path = CORPUS / "configxml" / "openstack-infra__jenkins-job-builder__tests_multibranch_fixtures_multi_scm_full.xml"
    mb = parse_config_xml(path.read_bytes(), str(path), "mb")
    assert mb.kind == "multibranch"
    assert [s.url for s in mb.sources] == [
        "https://bitbucket.org/SANDBOX/test.git", "https://example.com/jonhndoe/keep-frontend.git",
        "https://github.com/johndoe/foo.git",
    ]
    assert mb.scm is not None and mb.scm.script_path == "some.Jenkinsfile"
    assert mb.triggers[0].kind == "other" and mb.triggers[0].spec == "H H * * *"


def test_config_xml_read_without_blank_text_gives_the_usual_job() -> None:
    for path in CONFIGS[:40]:
        data = path.read_bytes()
        assert _job(data) == _usual(data), path.name


def test_config_xml_leaves_turned_into_parents_give_the_usual_job() -> None:
    rng = random.Random(5)
    for path in CONFIGS[::3]:
        data = path.read_bytes()
        leaves = list(_LEAF.finditer(data))
        for _ in range(3):
            out = data
            for m in sorted(rng.sample(leaves, min(len(leaves), rng.randint(1, 10))), key=lambda m: -m.start()):
                out = out[:m.start(3)] + rng.choice(_INNERS) + out[m.end(3):]
            assert _job(out) == _usual(out), path.name
