"""JENKINS_HOME walk and recorded builds, on the home checked in for these tests (data/jenkins_home, copied with a
log.gz and legacy permalink symlinks added) and on build folders written here; the shared corpus's recorded builds
are read by bench/corpus/test_builds.py."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import pytest

from jenkins2flow.sources import iter_jobs, source_kind
from jenkins2flow.sources.builds import (
    build_numbers,
    iter_builds,
    read_build,
    read_permalinks,
    read_stages,
    strip_console_notes,
    unmangle,
)
from jenkins2flow.sources.jenkins_home import encode_branch, iter_job_refs, job_directory

DATA = Path(__file__).parent / "data" / "jenkins_home"


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    """A copy of the checked-in home, plus what git cannot hold well: a log.gz and legacy permalink symlinks."""
    root = tmp_path / "home"
    shutil.copytree(DATA, root)
    b1 = root / "jobs" / "etl" / "builds" / "1"
    with gzip.open(b1 / "log.gz", "wb") as fh:
        fh.write(b"Started by user alice\n\x1b[8mha:////AAAA\x1b[0mdone\n")
    pipe_builds = root / "jobs" / "team" / "jobs" / "pipe" / "builds"
    os.symlink("3", pipe_builds / "lastSuccessfulBuild")
    os.symlink("-1", pipe_builds / "lastStableBuild")
    return root


def test_walk_full_names_children_and_branches(home: Path) -> None:
    refs = {r.full_name: r for r in iter_job_refs(home)}
    assert list(refs) == [
        "broken", "etl", "mb", "mb/feature%2Fx", "mb/main", "mb/release%2F1.0", "team", "team/pipe",
    ]
    assert refs["team"].children == ("team/pipe",)
    assert set(refs["mb"].children) == {"mb/feature%2Fx", "mb/main", "mb/release%2F1.0"}
    assert refs["mb/feature%2Fx"].aliases == ("mb/branches/feature-x.k2vbnr",)
    assert refs["mb/main"].aliases == ("mb/branches/main",)
    assert job_directory(home, "team/pipe") == home / "jobs" / "team" / "jobs" / "pipe"
    assert job_directory(home / "jobs", "mb/branches/feature-x.k2vbnr") == home / "jobs/mb/branches/feature-x.k2vbnr"


def test_iter_jobs_parses_each_and_survives_a_broken_one(home: Path) -> None:
    assert source_kind(str(home)) == "jenkins_home" and source_kind(str(home / "jobs")) == "jenkins_home"
    jobs = {j.full_name: j for j in iter_jobs(str(home))}
    assert jobs["etl"].kind == "freestyle" and jobs["etl"].triggers[0].spec == "H 2 * * *"
    assert jobs["etl"].parameters[0].name == "RUN_DATE"
    assert jobs["team"].kind == "folder" and jobs["team"].children == ("team/pipe",)
    assert jobs["team/pipe"].kind == "pipeline" and "sh 'make'" in jobs["team/pipe"].script
    assert jobs["mb"].kind == "multibranch" and jobs["mb"].scm is not None
    assert jobs["mb"].scm.url == "https://git.example.com/app.git" and jobs["mb"].scm.script_path == "Jenkinsfile"
    branch = jobs["mb/feature%2Fx"]
    assert branch.kind == "pipeline" and branch.aliases == ("mb/branches/feature-x.k2vbnr",)
    assert branch.scm is not None and branch.scm.script_path == "Jenkinsfile"
    broken = jobs["broken"]
    assert broken.kind == "freestyle" and broken.diagnostics[0].level == "error"
    assert str(broken.diagnostics[0]).startswith(f"{home / 'jobs/broken/config.xml'}:2:17:")


def test_freestyle_build_record(home: Path) -> None:
    job_dir = home / "jobs" / "etl"
    assert build_numbers(job_dir) == [1, 2]
    b = read_build(job_dir / "builds" / "2", "etl")
    assert (b.job, b.number, b.result, b.duration_ms, b.timestamp_ms) == ("etl", 2, "UNSTABLE", 65000, 1714528800000)
    assert b.built_on == "etl-node" and not b.building
    assert b.parameters == (("RUN_DATE", "2024-05-01"), ("DRY", False), ("PW", "****"))
    assert [c.kind for c in b.causes] == ["upstream", "timer", "timer"]
    up = b.causes[0]
    assert (up.cls, up.upstream_project, up.upstream_build) == ("hudson.model.Cause$UpstreamCause", "team/ingest", 17)
    assert b.log == "Started by timer\n[Pipeline] sh\n+ ./load.sh\nloaded 42 rows\nFinished: UNSTABLE\n"
    assert [(a.relative_path, a.size) for a in b.artifacts] == [("out/rows.csv", 13), ("summary.json", 13)]
    assert b.stages == () and not b.diagnostics
    b1 = read_build(job_dir / "builds" / "1")
    assert b1.log == "Started by user alice\ndone\n" and b1.causes[0].user_id == "alice"
    assert [x.number for x in iter_builds(job_dir, with_log=False)] == [1, 2]


def test_permalinks_file_and_legacy_symlinks(home: Path) -> None:
    links = read_permalinks(home / "jobs" / "etl")
    assert links["lastSuccessfulBuild"] == 2 and links["lastStableBuild"] == 1 and "lastFailedBuild" not in links
    legacy = read_permalinks(home / "jobs" / "team" / "jobs" / "pipe")
    assert legacy == {"lastSuccessfulBuild": 3}


def test_pipeline_stages_from_flow_node_store(home: Path) -> None:
    b = read_build(home / "jobs" / "team" / "jobs" / "pipe" / "builds" / "3", "team/pipe")
    assert b.result == "FAILURE" and b.causes[0].user_id == "bob"
    got = [(s.name, s.status, s.parent, s.duration_ms) for s in b.stages]
    assert got == [
        ("Build", "SUCCESS", "", 2000), ("Test", "FAILURE", "", 2000), ("Unit", "FAILURE", "Test", 1998),
        ("Deploy", "SKIPPED", "", 3),
    ]
    assert b.stages[1].error == "hudson.AbortException: script returned exit code 2"


def test_pipeline_stages_from_one_file_per_node(home: Path, tmp_path: Path) -> None:
    """Older Jenkins keeps workflow/<id>.xml, one <Tag> per file: same stages."""
    from lxml import etree

    store = home / "jobs/team/jobs/pipe/builds/3/workflow-completed/flowNodeStore.xml"
    build_dir = tmp_path / "b" / "3"
    (build_dir / "workflow").mkdir(parents=True)
    root = etree.fromstring(store.read_bytes().replace(b"version='1.1'", b"version='1.0'"))
    for entry in root.iterfind("entry"):
        (build_dir / "workflow" / f"{entry.findtext('string')}.xml").write_bytes(
            b"<?xml version='1.1' encoding='UTF-8'?>\n" + etree.tostring(entry.find("Tag")))
    stages = read_stages(build_dir)
    assert [(s.name, s.status) for s in stages] == [
        ("Build", "SUCCESS"), ("Test", "FAILURE"), ("Unit", "FAILURE"), ("Deploy", "SKIPPED"),
    ]


def test_unreadable_build_gives_diagnostic(tmp_path: Path) -> None:
    (tmp_path / "5").mkdir()
    b = read_build(tmp_path / "5", "x")
    assert b.number == 5 and b.result is None and b.diagnostics[0].code == "io-error"
    (tmp_path / "5" / "build.xml").write_text("<build><result>SUCC")
    assert read_build(tmp_path / "5").diagnostics[0].code == "malformed-xml"


def test_helpers() -> None:
    assert unmangle("hudson.model.Cause_-UserIdCause") == "hudson.model.Cause$UserIdCause"
    assert unmangle("hudson.plugins.ws__cleanup.WsCleanup") == "hudson.plugins.ws_cleanup.WsCleanup"
    assert strip_console_notes(b"a\x1b[8mha:////xyz=\x1b[0mb\x1b[31mred") == "ab\x1b[31mred"


def test_a_build_started_by_a_push_on_an_agent(tmp_path: Path) -> None:
    """A freestyle build started by a GitHub push, on agent node2 (as a real Jenkins 2.332 writes it)."""
    build = tmp_path / "2"
    build.mkdir()
    (build / "build.xml").write_text("""<?xml version='1.1' encoding='UTF-8'?>
<build>
  <actions>
    <hudson.model.CauseAction><causeBag class="linked-hash-map"><entry>
      <com.cloudbees.jenkins.GitHubPushCause plugin="github@1.34.3"><pushedBy>dev</pushedBy>
      </com.cloudbees.jenkins.GitHubPushCause>
      <int>1</int>
    </entry></causeBag></hudson.model.CauseAction>
    <hudson.triggers.SCMTrigger_-BuildAction/>
  </actions>
  <queueId>111</queueId>
  <timestamp>1650251332159</timestamp>
  <result>SUCCESS</result>
  <duration>12850</duration>
  <builtOn>node2</builtOn>
</build>
""", encoding="utf-8")
    (build / "log").write_bytes(b"Started by GitHub push by dev\n\x1b[8mha:////4AbC=\x1b[0m+ make\n")
    b = read_build(build, "build-job")
    assert (b.number, b.result, b.duration_ms, b.timestamp_ms, b.built_on) == (2, "SUCCESS", 12850, 1650251332159,
                                                                                "node2")
    assert [(c.cls, c.kind) for c in b.causes] == [("com.cloudbees.jenkins.GitHubPushCause", "scm")]
    assert b.log == "Started by GitHub push by dev\n+ make\n" and not b.diagnostics


def test_branch_names_are_encoded_as_branch_api_does() -> None:
    """jenkins.branch.NameEncoder: only # % / ? [ ] \\ are escaped (the name is part of H's seed)."""
    assert encode_branch("feature/x") == "feature%2Fx"
    assert encode_branch("dependabot/npm_and_yarn/lodash-4.17.21") == "dependabot%2Fnpm_and_yarn%2Flodash-4.17.21"
    assert encode_branch("release 1.0+hotfix@2:x") == "release 1.0+hotfix@2:x"  # URL quoting would change these
    assert encode_branch("a#b%c?d[e]f\\g") == "a%23b%25c%3Fd%5Be%5Df%5Cg"
    assert (encode_branch(""), encode_branch("."), encode_branch("..")) == ("%00", "%2E", "%2E.")


def test_branch_full_name_keeps_characters_jenkins_keeps(home: Path) -> None:
    branch = home / "jobs" / "mb" / "branches" / "feature-x.k2vbnr"
    (branch / "name-utf8.txt").write_text("feature/new stuff+1", encoding="utf-8")
    refs = {r.full_name for r in iter_job_refs(home)}
    assert "mb/feature%2Fnew stuff+1" in refs
