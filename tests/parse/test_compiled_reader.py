"""The config.xml reader is compiled by the build (setup.py, mypyc); the compiled modules and their Python source must
be the same program, and a compiled module that no longer matches its source must never run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

import jenkins2flow.parse
from jenkins2flow.parse import compiled
from jenkins2flow.parse.compiled import COMPILED, MANIFEST, source_digest, source_path, stale

ROOT = Path(__file__).resolve().parents[2]
SRC = Path(jenkins2flow.parse.__file__).resolve().parents[2]  # the directory holding the installed package
CORPUS = ROOT / ".." / "shared" / "corpus" / "configxml"

# Every config.xml we have, read in this process and in one that runs the source: the two outputs must be equal.
DUMP = """
import json, sys
from pathlib import Path
from jenkins2flow.ir.to_json import job_to_dict
from jenkins2flow.parse.compiled import running
from jenkins2flow.parse.job_xml import parse_config_xml
out = {"reader": running(), "jobs": {}}
for name in sys.argv[1:]:
    data = Path(name).read_bytes()
    for read_script in (True, False):
        job = parse_config_xml(data, name, "j", read_script=read_script)
        out["jobs"][f"{name} {read_script}"] = [json.dumps(job_to_dict(job), default=repr, sort_keys=True), repr(job)]
print(json.dumps(out))
"""


def _compiler() -> bool:
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(cc) is not None and Path(sysconfig.get_paths()["include"], "Python.h").is_file()


def _run(code: str, *args: str, pure: bool, path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != compiled.PURE_ENV}
    if pure:
        env[compiled.PURE_ENV] = "1"
    if path is not None:
        env["PYTHONPATH"] = str(path)
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=600,
                          check=False)


needs_compiled = pytest.mark.skipif(jenkins2flow.parse.READER != "compiled",
                                    reason="the config.xml reader is not compiled in this install")


def test_the_build_compiled_the_reader_where_it_could() -> None:
    if os.environ.get(compiled.PURE_ENV):
        pytest.skip(f"{compiled.PURE_ENV} is set")
    if not _compiler():
        pytest.skip("no C compiler or Python headers here: the build made the pure-Python package")
    assert jenkins2flow.parse.READER == "compiled"
    assert compiled.running() == "compiled"
    assert stale(SRC) == []
    import jenkins2flow.parse.xml.raw as raw  # not compiled: mypyc cannot compile its lazy node class
    assert raw.__file__ is not None and raw.__file__.endswith(".py")


@needs_compiled
def test_compiled_and_source_readers_give_the_same_jobs() -> None:
    files = sorted({*CORPUS.glob("*.xml"), *ROOT.glob("tests/**/*.xml"), *ROOT.glob("samples/**/config.xml")})
    assert len(files) > 20
    names = [str(p) for p in files]
    compiled_run, source_run = _run(DUMP, *names, pure=False), _run(DUMP, *names, pure=True)
    assert compiled_run.returncode == 0, compiled_run.stderr
    assert source_run.returncode == 0, source_run.stderr
    ours, theirs = json.loads(compiled_run.stdout), json.loads(source_run.stdout)
    assert (ours["reader"], theirs["reader"]) == ("compiled", "source")
    assert ours["jobs"].keys() == theirs["jobs"].keys()
    for key, value in ours["jobs"].items():
        assert value == theirs["jobs"][key], key


def _fake_build(root: Path) -> None:
    """A package tree with every compiled module's source, a compiled file beside each, and the build's manifest."""
    digests = {}
    for name in COMPILED:
        src = source_path(root, name)
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_text(f"# {name}\n")
        src.with_name(src.stem + EXTENSION_SUFFIXES[0]).write_bytes(b"")
        digests[name] = source_digest(src)
    (root / "jenkins2flow" / "parse" / MANIFEST).write_text(json.dumps(digests))


def test_stale_names_the_compiled_modules_that_no_longer_match(tmp_path: Path) -> None:
    _fake_build(tmp_path)
    assert stale(tmp_path) == []
    source_path(tmp_path, "jenkins2flow.parse.xml.scm").write_text("# edited\n")
    assert stale(tmp_path) == ["jenkins2flow.parse.xml.scm"]
    (tmp_path / "jenkins2flow" / "parse" / MANIFEST).unlink()  # compiled modules with no record of their build
    assert stale(tmp_path) == list(COMPILED)


def test_stale_is_empty_when_nothing_is_compiled(tmp_path: Path) -> None:
    _fake_build(tmp_path)
    for so in tmp_path.rglob("*" + EXTENSION_SUFFIXES[0]):
        so.unlink()
    source_path(tmp_path, "jenkins2flow.parse.job_xml").write_text("# edited\n")
    assert stale(tmp_path) == []


@needs_compiled
def test_an_edited_source_runs_instead_of_its_stale_compiled_module(tmp_path: Path) -> None:
    """A copy of the installed package, one compiled module's source edited: every compiled module then runs from
    source (all or none), with a warning that says how to rebuild; and the edit is what runs."""
    copy = tmp_path / "src"
    shutil.copytree(SRC / "jenkins2flow", copy / "jenkins2flow", ignore=shutil.ignore_patterns("__pycache__"))
    for shared in SRC.glob("*__mypyc*"):  # the compiled modules' shared library, beside the package
        shutil.copy(shared, copy)
    scm = source_path(copy, "jenkins2flow.parse.xml.scm")
    scm.write_text(scm.read_text() + "\nEDITED = True\n")
    code = ("import warnings; warnings.simplefilter('always')\n"
            "import jenkins2flow.parse as p, jenkins2flow.parse.xml.scm as scm, jenkins2flow.parse.job_xml as j\n"
            "print(p.READER, scm.EDITED, j.__file__.endswith('.py'))")
    done = _run(code, pure=False, path=copy)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["source", "True", "True"]
    assert "does not match its source (jenkins2flow.parse.xml.scm)" in done.stderr
    assert "make venv" in done.stderr


@needs_compiled
def test_pure_env_runs_the_source() -> None:
    done = _run("from jenkins2flow.parse.compiled import running; print(running())", pure=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "source"
