"""Commands recognized inside shell steps: SQL clients become view tasks; python, spark-submit, dbt are signals.

A shell step becomes a view task only when its whole script is one SQL client call whose SQL is inline (a flag,
a positional argument or a here-document) or a file found under `--workspace`. SQL that uses shell variables is
kept as SQL only when each variable is a job parameter (`${RUN_DATE}` -> `{{ params.RUN_DATE }}`); SQL that already
contains Jinja markers stays a shell task, so nothing from Jenkins is ever read as a template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jenkins2flow import shell_words

_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1\s*$")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_JINJA = ("{{", "{%", "{#")
_WORDS = re.compile(r"(?<![\w./-])(spark-submit|dbt|python3?|psql|sqlplus|bq|snowsql|sqlite3|mysql)(?![\w-])")


@dataclass
class Recognized:
    signals: list[str] = field(default_factory=list)
    sql: str = ""
    connection: str = ""
    tool: str = ""
    sql_file: str = ""
    note: str = ""


def _lines(script: str) -> list[str]:
    out: list[str] = []
    buf = ""
    for raw in script.splitlines():
        line = raw.rstrip()
        if buf:
            buf += " " + line.strip()
        else:
            if not line.strip() or line.strip().startswith("#"):
                continue
            buf = line.strip()
        if buf.endswith("\\"):
            buf = buf[:-1]
            continue
        out.append(buf)
        buf = ""
    if buf:
        out.append(buf)
    return out


def recognize(script: str, table: dict[str, Any], workspace: Path | None, params: set[str]) -> Recognized:
    rec = Recognized()
    for word in dict.fromkeys(_WORDS.findall(script)):  # each word once, in order
        rule = table.get(word)
        kind = getattr(rule, "params", {}).get("kind") if rule is not None else None
        if kind and kind not in rec.signals:
            rec.signals.append(kind)
    lines = _lines(script)
    if not lines:
        return rec
    first = lines[0]
    heredoc_sql = ""
    m = _HEREDOC.search(first)
    if m:
        body = script.splitlines()
        start = next(i for i, line in enumerate(body) if _HEREDOC.search(line.strip()))
        end = next((i for i in range(start + 1, len(body)) if body[i].strip() == m.group(2)), None)
        if end is None or any(line.strip() and not line.strip().startswith("#") for line in body[end + 1:]):
            return rec
        if any(line.strip() and not line.strip().startswith("#") for line in body[:start]):
            return rec
        heredoc_sql = "\n".join(body[start + 1:end])
        first = first[: m.start()].strip()
    elif len(lines) != 1:
        return rec
    try:
        argv = shell_words.split(first)  # linear, with a length cap (shlex.split is quadratic on long lines)
    except ValueError:
        return rec
    if not argv:
        return rec
    tool = Path(argv[0]).name
    rule = table.get(tool)
    p = getattr(rule, "params", {}) if rule is not None else {}
    if p.get("kind") != "sql":
        return rec
    sql, sql_file = heredoc_sql, ""
    args = argv[1:]
    inline, files = p.get("inline", []), p.get("file", [])
    for i, a in enumerate(args):
        for flag in inline:
            if a == flag and i + 1 < len(args):
                sql = args[i + 1]
            elif a.startswith(flag + "=") and flag.startswith("--"):
                sql = a[len(flag) + 1:]
        for flag in files:
            if a == flag and i + 1 < len(args):
                sql_file = args[i + 1]
            elif a.startswith(flag + "=") and flag.startswith("--"):
                sql_file = a[len(flag) + 1:]
        if p.get("file_prefix") and a.startswith(p["file_prefix"]) and len(a) > 1:
            sql_file = a[1:]
    if p.get("subcommand"):
        positional = [a for a in args if not a.startswith("-")]
        if not positional or positional[0] != p["subcommand"]:
            return rec
        if len(positional) > 1 and not sql:
            sql = positional[-1]
    if p.get("positional_sql"):
        positional = [a for a in args if not a.startswith("-")]
        if len(positional) >= 2 and not sql:
            sql = positional[1]
    if sql_file and not sql:
        if workspace is None:
            rec.note = f"{tool} reads SQL from {sql_file!r}; give --workspace to turn it into a view task."
            return rec
        path = (workspace / sql_file).resolve()
        if not path.is_relative_to(workspace.resolve()) or not path.is_file():
            rec.note = f"{tool} reads SQL from {sql_file!r}, not found under the workspace {str(workspace)!r}."
            return rec
        sql = path.read_text(encoding="utf-8", errors="replace")
    if not sql.strip() or any(marker in sql for marker in _JINJA):
        return rec
    unknown = [a or b for a, b in _VAR.findall(sql) if (a or b) not in params]
    if unknown:
        rec.note = f"the SQL uses shell variables that are not parameters ({', '.join(sorted(set(unknown)))})."
        return rec
    rec.sql = _VAR.sub(lambda mm: "{{ params." + (mm.group(1) or mm.group(2)) + " }}", sql)
    rec.connection = str(p.get("connection", "default"))
    rec.tool, rec.sql_file = tool, sql_file
    if "sql" not in rec.signals:
        rec.signals.append("sql")
    return rec
