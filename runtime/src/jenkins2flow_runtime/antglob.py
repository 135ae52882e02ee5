"""Ant-style globs, as Jenkins matches them: file sets (archiveArtifacts, copyArtifacts, stash, and the shadow
harness's artifacts) and names (`when { branch; tag; changeRequest }`). One implementation for the runtime and the
toolkit: `match_path`, whose `file_set` flag says which of Jenkins' two callers of Ant it stands for.

Ant's rules (https://ant.apache.org/manual/dirtasks.html#patterns), common to both:
- `**` as a whole path segment matches zero or more segments; elsewhere `**` is `*`;
- `*` matches any run of characters within one segment (also none: `*.java` matches `.java`), `?` one character;
- `[` and every other character are literal; empty segments (`a//b`) do not count.

Where they differ:
- file sets (`file_set=True`): Ant's DirectoryScanner over a workspace, through Jenkins' `Util.createFileSet`.
  `\\` separates segments like `/`; a pattern that ends with `/` (or `\\`) means that folder and everything under
  it (`dir/` is `dir/**`); paths are relative to the workspace, so a leading `/` is dropped from both; matching is
  case-sensitive. A pattern list is comma-separated and each pattern trimmed; a path is selected when it matches an
  include and no exclude; Ant's default excludes (`**/.git/**`, `**/*~`...) apply unless turned off, as in Jenkins.
- names (`file_set=False`): Ant's SelectorUtils.matchPath alone, as pipeline-model-definition's GLOB comparator
  calls it on a branch or tag name (case-insensitive there). Only `/` separates (`\\` is a literal character on a
  Linux controller); a leading `/` is a segment of its own (`/rel/*` matches `/rel/1`, not `rel/1`; `*`, `?` and
  `**` match it, as in Ant); a trailing `/` means nothing (`dir/` is `dir`).
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


# A leading `/` where it counts (names): SelectorUtils keeps an absolute path's root as a segment of its own. It
# stands for that segment inside the regexes below: `*` and `?` match it, as they match "/" in Ant, and a literal
# does not (no branch or tag name holds a NUL).
_ROOT = "\0"


def _split(text: str, file_set: bool) -> list[str]:
    """A path's or pattern's segments, empty ones dropped; with names, a leading `/` is the segment `_ROOT`."""
    if file_set:
        return [s for s in text.replace("\\", "/").split("/") if s]
    return ([_ROOT] if text.startswith("/") else []) + [s for s in text.split("/") if s]


def segments(pattern: str, *, file_set: bool = True) -> list[str]:
    """The pattern's path segments; in a file set, a trailing separator adds `**` (`dir/` is `dir/**`)."""
    parts = _split(pattern, file_set)
    if file_set and pattern.endswith(("/", "\\")):
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
def compile_pattern(pattern: str, *, file_set: bool, case_sensitive: bool = True) -> re.Pattern[str]:
    """The regex that a path's segments, each followed by `/`, must fully match (so `**` can stand for none)."""
    regex = "".join("(?:[^/]+/)*" if segment == "**" else _segment_regex(segment) + "/"
                    for segment in segments(pattern, file_set=file_set))
    return re.compile(regex, 0 if case_sensitive else re.IGNORECASE)


def match_path(pattern: str, path: str, *, file_set: bool, case_sensitive: bool = True) -> bool:
    """Whether `path` matches the Ant pattern `pattern`: as a file set's pattern (`file_set=True`) or as a name
    (SelectorUtils.matchPath). The module's docstring says how the two differ."""
    rx = compile_pattern(pattern, file_set=file_set, case_sensitive=case_sensitive)
    return rx.fullmatch("".join(s + "/" for s in _split(path, file_set))) is not None


def ant_match(path: str, pattern: str) -> bool:
    """Whether the workspace-relative path `path` (`/` or `\\` separated) matches the file-set pattern `pattern`."""
    return match_path(pattern, path, file_set=True)


@dataclass(frozen=True, slots=True)
class AntGlob:
    """Includes and excludes, as in `archiveArtifacts(artifacts: ..., excludes: ...)`; no include means `**`."""

    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    default_excludes: bool = True
    case_sensitive: bool = True  # archiveArtifacts(caseSensitive: false)

    @classmethod
    def parse(cls, includes: str, excludes: str = "", *, default_excludes: bool = True,
              case_sensitive: bool = True) -> AntGlob:
        """From Jenkins' comma-separated strings."""
        return cls(tuple(split_patterns(includes)), tuple(split_patterns(excludes)), default_excludes, case_sensitive)

    def _match(self, path: str, pattern: str) -> bool:
        return match_path(pattern, path, file_set=True, case_sensitive=self.case_sensitive)

    def _all_excludes(self) -> tuple[str, ...]:
        return (*self.excludes, *DEFAULT_EXCLUDES) if self.default_excludes else self.excludes

    def matches(self, path: str) -> bool:
        included = any(self._match(path, p) for p in self.includes or ("**",))
        return included and not any(self._match(path, p) for p in self._all_excludes())

    def _pruned(self, rel_dir: str) -> bool:
        """A folder whose whole content is excluded (an exclude `X/**` whose `X` matches it) is not walked."""
        return any(segments(p)[-1:] == ["**"] and self._match(rel_dir, "/".join(segments(p)[:-1]))
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
