"""One Ant-style glob for the runtime (copyArtifacts, `when { branch; tag; changeRequest }`) and the shadow harness:
Ant's documented examples (https://ant.apache.org/manual/dirtasks.html#patterns), the rules file sets and names
share and those they differ by, Jenkins' comma lists, excludes and default excludes. The shadow harness's use of it:
tests/shadow/test_artifacts_outputs.py; the `when` conditions': tests/convert/test_evaluate_when.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from jenkins2flow_runtime import fallback
from jenkins2flow_runtime.antglob import AntGlob, ant_match, match_path
from jenkins2flow_runtime.fallback import FallbackError, copy_artifacts
from jenkins2flow_runtime.workspace import record_run

# (pattern, paths it matches, paths it does not), from Ant's manual.
ANT_EXAMPLES = [
    ("*.java", [".java", "x.java", "FooBar.java"], ["FooBar.xml", "src/x.java"]),
    ("?.java", ["x.java", "A.java"], [".java", "xyz.java"]),
    ("**/CVS/*", ["CVS/Repository", "org/apache/CVS/Entries", "org/apache/jakarta/tools/ant/CVS/Entries"],
     ["org/apache/CVS/foo/bar/Entries"]),
    ("org/apache/jakarta/**", ["org/apache/jakarta/tools/ant/docs/index.html", "org/apache/jakarta/test.xml"],
     ["org/apache/xyz.java"]),
    ("org/apache/**/CVS/*", ["org/apache/CVS/Entries", "org/apache/jakarta/tools/ant/CVS/Entries"],
     ["org/apache/CVS/foo/bar/Entries"]),
    ("**/test/**", ["test", "a/test", "test/x.txt", "a/test/b/c.txt"], ["a/testing/x", "atest/x", "a/b"]),
    ("mypackage/test/", ["mypackage/test/A.java", "mypackage/test/deep/B.java"], ["mypackage/A.java"]),
    ("mypackage\\test\\", ["mypackage/test/A.java"], ["mypackage/A.java"]),
]


@pytest.mark.parametrize(("pattern", "good", "bad"), ANT_EXAMPLES, ids=[e[0] for e in ANT_EXAMPLES])
def test_ant_documented_examples(pattern: str, good: list[str], bad: list[str]) -> None:
    assert [p for p in good if not ant_match(p, pattern)] == []
    assert [p for p in bad if ant_match(p, pattern)] == []


@pytest.mark.parametrize(("path", "pattern", "expected"), [
    ("a/b/c.txt", "**", True),
    ("A.TXT", "*.txt", False),  # case-sensitive
    ("a[1].txt", "a[1].txt", True),  # no character classes: `[` is literal
    ("a1.txt", "a[1].txt", False),
    ("ab/c.txt", "a**/c.txt", True),  # `**` inside a segment is `*`
    ("a/x/c.txt", "a**/c.txt", False),
    ("out/a.csv", "out/**/*.csv", True),  # `**` stands for zero folders too
    ("out/warehouse/s.csv", "out/**/*.csv", True),
    ("out/warehouse/s.json", "out/**/*.csv", False),
    ("out/w/a.csv", "out/*.csv", False),
    ("x.xml", "**/*.xml", True),
    ("dist/app-1.2.tar", "dist/app-?.?.tar", True),
    ("target/site/index.html", "target/", True),
    ("out", "out/", True),
])
def test_ant_rules(path: str, pattern: str, expected: bool) -> None:
    assert ant_match(path, pattern) is expected


@pytest.mark.parametrize(("pattern", "path", "matches"), [
    ("main", "main", True), ("main", "MAIN", True), ("feature/*", "feature/x", True),
    ("feature/*", "feature/x/y", False), ("feature/**", "feature/x/y", True), ("**/x", "a/b/x", True),
    ("**", "anything/at/all", True), ("release-?", "release-1", True), ("release-?", "release-10", False),
    ("*/hotfix/**", "2024/hotfix/a/b", True), ("a/**/b/**/c", "a/x/b/y/z/c", True), ("a/**/b", "a/c", False),
    ("PR-*", "pr-12", True), ("feature//x", "feature/x", True),
])
def test_names_as_when_compares_them(pattern: str, path: str, matches: bool) -> None:
    """A branch, tag or change-request field against a `when` GLOB: SelectorUtils.matchPath, ignoring case."""
    assert match_path(pattern, path, file_set=False, case_sensitive=False) is matches


# (pattern, path, as a file set's pattern, as a name's): the rules by which the two differ
DIFFERENCES = [
    ("out/", "out/a/b.txt", True, False),  # a trailing `/`: DirectoryScanner's `dir/` is `dir/**`...
    ("out/", "out", True, True),  # ...for a name it means nothing
    ("out\\*.txt", "out/a.txt", True, False),  # `\` separates in a file set; in a name it is a character...
    ("release\\*", "release\\1", True, True),  # ...that a name's `*` may match
    ("/rel/*", "rel/1", True, False),  # a leading `/`: dropped from a workspace path; a name's segment of its own
    ("/rel/*", "/rel/1", True, True),
    ("rel/*", "/rel/1", True, False),
    ("**", "/rel/1", True, True),  # `**` matches a name's leading `/` as any segment
    ("*/x", "/x", False, True),  # so do `*` and `?` ("/" is one character), as in Ant; in a file set "/x" is "x"
    ("?/x", "/x", False, True),
]


@pytest.mark.parametrize(("pattern", "path", "as_file", "as_name"), DIFFERENCES)
def test_file_sets_and_names_differ_on_separators(pattern: str, path: str, as_file: bool, as_name: bool) -> None:
    assert match_path(pattern, path, file_set=True) is as_file
    assert match_path(pattern, path, file_set=False) is as_name


def test_case_is_the_callers_choice() -> None:
    assert not match_path("*.txt", "A.TXT", file_set=True)  # a file set is case-sensitive, as Ant's default
    assert match_path("*.txt", "A.TXT", file_set=True, case_sensitive=False)
    assert not match_path("Main", "main", file_set=False)
    assert match_path("Main", "main", file_set=False, case_sensitive=False)  # as `when` calls it


def _tree(root: Path, files: list[str]) -> Path:
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel, encoding="utf-8")
    return root


FILES = ["out/a.csv", "out/w/b.csv", "out/w/b.csv~", "out/c.json", "out/.git/HEAD", "out/tmp/x.csv", "log.txt",
         ".gitignore"]


def test_comma_lists_excludes_and_default_excludes(tmp_path: Path) -> None:
    root = _tree(tmp_path, FILES)
    assert AntGlob.parse("out/**/*.csv, out/*.json", "out/tmp/").select(root) == [
        "out/a.csv", "out/c.json", "out/w/b.csv"]
    assert AntGlob.parse("").select(root) == ["log.txt", "out/a.csv", "out/c.json", "out/tmp/x.csv", "out/w/b.csv"]
    assert AntGlob.parse("", default_excludes=False).select(root) == sorted(FILES)


def test_copy_artifacts_copies_what_the_glob_selects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JENKINS2FLOW_WORKSPACE", str(tmp_path / "ws"))
    _tree(record_run("upstream", "run1"), FILES)
    monkeypatch.setattr(fallback, "_run_state", lambda pipeline, run_id: "success")  # the Task SDK's question
    here = tmp_path / "here"
    result = copy_artifacts("upstream", filter="out/**/*.csv,out/*.json", excludes="**/tmp/**", target="got",
                            workspace=str(here))
    assert result["copied"] == ["out/a.csv", "out/c.json", "out/w/b.csv"]
    assert sorted(p.relative_to(here / "got").as_posix() for p in (here / "got").rglob("*") if p.is_file()) == \
        result["copied"]
    assert (here / "got" / "out/w/b.csv").read_text(encoding="utf-8") == "out/w/b.csv"


def test_copy_artifacts_takes_the_newest_run_its_selector_accepts(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JENKINS2FLOW_WORKSPACE", str(tmp_path / "ws"))
    states = {"manual__1": "success", "manual__2": "failed", "manual__3": "running"}
    for n, run_id in enumerate(states):
        _tree(record_run("upstream", run_id), [f"out/{run_id}.txt"])
        marker = tmp_path / "ws" / "upstream" / ".runs" / run_id
        os.utime(marker, (1_000 + n, 1_000 + n))  # recorded in this order
    monkeypatch.setattr(fallback, "_run_state", lambda pipeline, run_id: states[run_id])
    here = tmp_path / "here"
    assert copy_artifacts("upstream", workspace=str(here))["copied"] == ["out/manual__1.txt"]
    assert copy_artifacts("upstream", selector="lastCompleted", workspace=str(here), flatten=True,
                          target="flat")["copied"] == ["out/manual__2.txt"]
    assert (here / "flat" / "manual__2.txt").is_file()  # flatten: the file name only
    with pytest.raises(FallbackError, match="no file matches"):
        copy_artifacts("upstream", filter="*.zip", workspace=str(here))
    assert copy_artifacts("upstream", filter="*.zip", optional=True, workspace=str(here))["copied"] == []
    with pytest.raises(FallbackError, match="Unable to find a build of pipeline 'nothing'"):
        copy_artifacts("nothing", workspace=str(here))
    monkeypatch.setenv("WORKSPACE", str(tmp_path / "run"))  # a task's own workspace when none is given
    assert copy_artifacts("upstream")["copied"] and (tmp_path / "run" / "out" / "manual__1.txt").is_file()
