"""Ant-style globs, as Jenkins uses them (archiveArtifacts, copyArtifacts, stash) and the shadow harness matches
artifacts with. One implementation for the runtime and the toolkit.

Ant's rules (https://ant.apache.org/manual/dirtasks.html#patterns), as Jenkins applies them:
- `**` as a whole path segment matches zero or more folders; elsewhere `**` is `*`;
- `*` matches any run of characters within one segment (also none: `*.java` matches `.java`), `?` one character;
- a pattern that ends with `/` (or `\\`) means that folder and everything under it (`dir/` is `dir/**`);
- `\\` separates segments like `/`; matching is case-sensitive; `[` and every other character are literal;
- a pattern list is comma-separated and each pattern trimmed (Jenkins' `Util.createFileSet`);
- a path is selected when it matches an include and no exclude; Ant's default excludes (`**/.git/**`, `**/*~`...)
  apply unless turned off, as in Jenkins.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

# Ant's DirectoryScanner.DEFAULTEXCLUDES (Ant 1.10), which Jenkins applies by default.
DEFAULT_EXCLUDES = (
    "**/*~", "**/#*#", "**/.#*", "**/%*%", "**/._*", "**/CVS", "**/CVS/**", "**/.cvsignore", "**/SCCS",
    "**/SCCS/**", "**/vssver.scc", "**/.svn", "**/.svn/**", "**/.DS_Store", "**/.git", "**/.git/**",
    "**/.gitattributes", "**/.gitignore", "**/.gitmodules", "**/.hg", "**/.hg/**", "**/.hgignore", "**/.hgsub",
    "**/.hgsubstate", "**/.hgtags", "**/.bzr", "**/.bzr/**", "**/.bzrignore",
)


def split_patterns(text: str) -> list[str]:
    """`"a/**, b/*.csv"` -> `["a/**", "b/*.csv"]`: comma-separated, trimmed, empty ones dropped."""
    return [p.strip() for p in text.split(",") if p.strip()]


def segments(pattern: str) -> list[str]:
    """The pattern's path segments: `\\` is `/`, a trailing separator adds `**`, empty segments are dropped."""
    pattern = pattern.replace("\\", "/")
    parts = [s for s in pattern.split("/") if s]
    if pattern.endswith("/"):
        parts.append("**")
    return parts


def _segment_regex(segment: str) -> str:
    out = ""
    for ch in segment:
        if ch == "*":
            if not out.endswith("[^/]*"):  # `**` inside a segment is `*`
                out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        else:
            out += re.escape(ch)
    return out


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """The regex a relative path plus a trailing `/` must fully match (so `**` can stand for zero folders)."""
    regex = ""
    for segment in segments(pattern):
        regex += "(?:[^/]+/)*" if segment == "**" else _segment_regex(segment) + "/"
    return re.compile(regex)


def ant_match(path: str, pattern: str) -> bool:
    """Whether the relative path `path` (`/` or `\\` separated) matches the Ant pattern `pattern`."""
    rel = "/".join(s for s in path.replace("\\", "/").split("/") if s)
    return compile_pattern(pattern).fullmatch(rel + "/") is not None


@dataclass(frozen=True, slots=True)
class AntGlob:
    """Includes and excludes, as in `archiveArtifacts(artifacts: ..., excludes: ...)`; no include means `**`."""

    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    default_excludes: bool = True

    @classmethod
    def parse(cls, includes: str, excludes: str = "", *, default_excludes: bool = True) -> AntGlob:
        """From Jenkins' comma-separated strings."""
        return cls(tuple(split_patterns(includes)), tuple(split_patterns(excludes)), default_excludes)

    def _all_excludes(self) -> tuple[str, ...]:
        return (*self.excludes, *DEFAULT_EXCLUDES) if self.default_excludes else self.excludes

    def matches(self, path: str) -> bool:
        included = any(ant_match(path, p) for p in self.includes or ("**",))
        return included and not any(ant_match(path, p) for p in self._all_excludes())

    def _pruned(self, rel_dir: str) -> bool:
        """A folder whose whole content is excluded (an exclude `X/**` whose `X` matches it) is not walked."""
        return any(segments(p)[-1:] == ["**"] and ant_match(rel_dir, "/".join(segments(p)[:-1]))
                   for p in self._all_excludes() if len(segments(p)) > 1)

    def select(self, root: str | os.PathLike[str]) -> list[str]:
        """The files under `root` this glob selects, as sorted relative `/`-separated paths."""
        base = Path(root)
        found: list[str] = []
        for folder, dirs, files in os.walk(base):
            rel_folder = Path(folder).relative_to(base).as_posix()
            prefix = "" if rel_folder == "." else rel_folder + "/"
            dirs[:] = [d for d in dirs if not self._pruned(prefix + d)]
            found += [prefix + f for f in files if self.matches(prefix + f)]
        return sorted(found)
