"""How much of the real Jenkinsfile corpus the parser reads, measured against independent regexes.

(1) stage names: literal `stage('x')` / `stage("x")` calls (outside comments) found as a Stage name in the IR;
(2) shell scripts: literal `sh`/`bat`/`powershell` scripts whose decoded text is a step's script argument;
(3) files with any error diagnostic (the corpus is meant to be valid Groovy, so each is a false positive).

Bars: (1) >= 99 %, (2) >= 98 %, (3) <= 1 %. Run: `.venv/bin/python bench/corpus_rates.py [--misses]`.
The regexes and the string decoder here are deliberately separate from the parser's own code.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "jenkinsfiles"
BARS = {"stages": 99.0, "scripts": 98.0, "error_files": 1.0}

sys.path.insert(0, str(ROOT / "src"))
from jenkins2flow.ir.nodes import Job, Stage, Step  # noqa: E402
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile  # noqa: E402


def strip_comments(src: str) -> str:
    """Blank out // and /* */ comments, leaving strings alone (a small scanner of its own)."""
    out: list[str] = []
    i, n = 0, len(src)
    while i < n:
        if src.startswith("'''", i) or src.startswith('"""', i):
            q = src[i : i + 3]
            j = i + 3
            while j < n and not src.startswith(q, j):
                j += 2 if src[j] == "\\" else 1
            out.append(src[i : j + 3])
            i = j + 3
        elif src[i] in "'\"":
            q = src[i]
            j = i + 1
            while j < n and src[j] != q and src[j] != "\n":
                j += 2 if src[j] == "\\" else 1
            out.append(src[i : j + 1])
            i = j + 1
        elif src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * src.count("\n", i, j))
            i = j
        else:
            out.append(src[i])
            i += 1
    return "".join(out)


STAGE_RE = re.compile(r"""\bstage\s*\(\s*(?:'([^'\\\n]*)'|"([^"\\$\n]*)")\s*[,)]""")
_SQ = r"'(?!'')((?:[^'\\\n]|\\.)*)'"
_DQ = r'"(?!"")((?:[^"\\$\n]|\\[^$])*)"'
_TSQ = r"'''(.*?)'''"
_TDQ = r'"""((?:[^"$\\]|\\[^$]|"(?!""))*?)"""'
SCRIPT_RE = re.compile(
    r"\b(?:sh|bat|powershell)\s*(?:\(\s*)?(?:script\s*:\s*)?(?:"
    + "|".join([_TSQ, _TDQ, _SQ, _DQ])
    + r")(?=[ \t]*(?:[),;}\n]|$))",
    re.S,
)
_ESC = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "\\": "\\", "'": "'", '"': '"', "$": "$", "s": " "}


def decode(raw: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == "\\" and i + 1 < len(raw):
            d = raw[i + 1]
            if d == "\n":
                i += 2
                continue
            out.append(_ESC.get(d, "\\" + d))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def walk(obj: Any) -> Iterator[Any]:
    """Every dataclass instance reachable from `obj`."""
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, (str, int, float, bool)) or o is None:
            continue
        if isinstance(o, (tuple, list)):
            stack.extend(o)
        elif isinstance(o, dict):
            stack.extend(o.values())
        elif dataclasses.is_dataclass(o):
            yield o
            stack.extend(getattr(o, f.name) for f in dataclasses.fields(o) if f.name not in ("span", "script"))


def measure(files: list[Path], show_misses: bool) -> dict[str, float]:
    st_total = st_hit = sc_total = sc_hit = err_files = 0
    for f in files:
        src = f.read_text(encoding="utf-8", errors="replace")
        job: Job = parse_jenkinsfile(src, str(f))
        nodes = list(walk(job))
        stage_names = {n.name for n in nodes if isinstance(n, Stage)}
        scripts: Counter[str] = Counter()
        for n in nodes:
            if isinstance(n, Step) and n.name in ("sh", "bat", "powershell"):
                v = n.args[0] if n.args else n.kwarg("script")
                if isinstance(v, str):
                    scripts[v] += 1
        clean = strip_comments(src)
        for m in STAGE_RE.finditer(clean):
            name = m.group(1) if m.group(1) is not None else m.group(2)
            st_total += 1
            if name in stage_names:
                st_hit += 1
            elif show_misses:
                print(f"stage miss: {f.name}:{clean.count(chr(10), 0, m.start()) + 1}: {name!r}")
        for m in SCRIPT_RE.finditer(clean):
            tsq, tdq, sq, dq = m.groups()
            raw = next(g for g in (tsq, tdq, sq, dq) if g is not None)
            text = decode(raw)
            sc_total += 1
            if scripts[text] > 0:
                scripts[text] -= 1
                sc_hit += 1
            elif show_misses:
                print(f"script miss: {f.name}:{clean.count(chr(10), 0, m.start()) + 1}: {text[:70]!r}")
        errors = [d for d in job.diagnostics if d.level == "error"]
        if errors:
            err_files += 1
            if show_misses:
                print(f"error file: {f.name}: {errors[0]}")
    return {
        "files": len(files),
        "stages_total": st_total,
        "stages": 100.0 * st_hit / max(st_total, 1),
        "scripts_total": sc_total,
        "scripts": 100.0 * sc_hit / max(sc_total, 1),
        "error_files": 100.0 * err_files / max(len(files), 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--misses", action="store_true", help="print every miss")
    a = ap.parse_args()
    files = sorted(p for p in a.corpus.glob("*") if p.is_file())
    if not files:
        print(f"No Jenkinsfiles under {a.corpus}; nothing measured.")
        return 0
    r = measure(files, a.misses)
    ok = r["stages"] >= BARS["stages"] and r["scripts"] >= BARS["scripts"] and r["error_files"] <= BARS["error_files"]
    print(f"files: {r['files']}")
    print(f"(1) literal stage names found in the IR: {r['stages']:.2f}% of {r['stages_total']} (bar >= 99%)")
    print(f"(2) literal shell scripts found exactly: {r['scripts']:.2f}% of {r['scripts_total']} (bar >= 98%)")
    print(f"(3) files with an error diagnostic:      {r['error_files']:.2f}% (bar <= 1%)")
    print("all bars met" if ok else "BARS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
