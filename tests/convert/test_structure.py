"""The converter's shape: no import cycles between its modules, and one registry that holds exactly the handlers the
mappings name."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import jenkins2flow.convert
from jenkins2flow.convert import handlers
from jenkins2flow.convert.options import OPTIONS
from jenkins2flow.convert.post import KINDS
from jenkins2flow.convert.registry import HANDLERS
from jenkins2flow.convert.rules import Rule, load_rules

PKG = "jenkins2flow.convert"
ROOT = Path(jenkins2flow.convert.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join((PKG, *parts[:-1])) if parts[-1] == "__init__" else ".".join((PKG, *parts))
        out[name] = path
    return out


MODULES = _modules()


def _type_only(tree: ast.Module) -> set[int]:
    """The ids of the import nodes under `if TYPE_CHECKING:`: names for annotations, not dependencies at run time."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            out |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return out


def _imports(path: Path) -> set[str]:
    """The converter modules `path` imports at run time, at any depth of the file (function-level too; imports
    under `if TYPE_CHECKING:` only name types and are left out)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = _type_only(tree)
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in MODULES}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PKG):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as [a, b, ..., a], or [] when the graph has none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> list[str]:
        state[name] = 1
        path.append(name)
        for dep in sorted(graph.get(name, ())):
            if state.get(dep) == 1:
                return path[path.index(dep):] + [dep]
            if dep not in state and (found := visit(dep)):
                return found
        path.pop()
        state[name] = 2
        return []

    for name in sorted(graph):
        if name not in state and (found := visit(name)):
            return found
    return []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []


def test_no_converter_module_imports_one_that_imports_it_back() -> None:
    graph = {name: _imports(path) - {name} for name, path in MODULES.items()}
    assert len(graph) > 30 and f"{PKG}.walker" in graph[f"{PKG}.stages"]  # the parse sees the imports
    assert _cycle(graph) == []


def test_handlers_never_import_the_walker_or_the_registry() -> None:
    """Handlers convert their bodies through ctx.walk: the walker and registry depend on them, not the reverse."""
    for name, path in MODULES.items():
        if name.startswith(f"{PKG}.handlers."):
            assert not _imports(path) & {f"{PKG}.walker", f"{PKG}.registry", f"{PKG}.job"}, name


def test_each_module_imports_first_in_a_fresh_interpreter() -> None:
    script = (
        "import importlib, sys\n"
        f"for name in {sorted(MODULES, reverse=True)!r}:\n"
        "    for loaded in [m for m in sys.modules if m.startswith('jenkins2flow.convert')]:\n"
        "        del sys.modules[loaded]\n"
        "    importlib.import_module(name)\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


# ---- the registry --------------------------------------------------------------------------------------------------


def _named() -> dict[str, set[str]]:
    """Handler name -> the registries of the default mappings whose rules name it."""
    named: dict[str, set[str]] = {}
    for registry, table in load_rules().tables.items():
        for rule in table.values():
            if isinstance(rule, Rule) and rule.handler:
                named.setdefault(rule.handler, set()).add(registry)
    return named


def test_every_handler_a_mapping_names_is_in_the_registry() -> None:
    named = _named()
    assert {"shell", "schedule", "multijob_phase"} <= set(named)
    assert sorted(set(named) - set(HANDLERS)) == []


def test_every_registry_handler_is_named_by_a_mapping_or_documented_internal() -> None:
    unused = set(HANDLERS) - set(_named()) - set(handlers.INTERNAL)
    assert sorted(unused) == []
    assert all(reason.strip() for reason in handlers.INTERNAL.values())


def test_option_and_post_tables_match_the_mappings() -> None:
    rules = load_rules()
    option_handlers = {r.handler for r in rules.tables["options"].values() if isinstance(r, Rule) and r.handler}
    assert set(OPTIONS) <= option_handlers <= set(HANDLERS)  # the load-time check accepts every option handler
    post_keys = {k for r in rules.tables["post"].values() if isinstance(r, Rule) for k in r.params}
    assert post_keys <= {"runs_on", "trigger_rule", "approximate", "notify_on", "note", "last", "unless_unstable",
                         *KINDS}


def test_every_handler_module_is_listed() -> None:
    listed = {m.__name__ for m in handlers.MODULES}
    files = {name for name in MODULES if name.startswith(f"{PKG}.handlers.")}
    helpers = {f"{PKG}.handlers.nodes", f"{PKG}.handlers.control"}  # node helpers; statements (not rules)
    assert files - helpers == listed


def test_a_handler_name_exported_twice_is_refused() -> None:
    a, b = ModuleType("first"), ModuleType("second")
    a.HANDLERS = {"shell": print}  # type: ignore[attr-defined]
    b.HANDLERS = {"shell": print, "echo": print}  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="'shell' is exported by both first and second"):
        handlers.merge((a, b))
    assert set(handlers.merge((b,))) == {"shell", "echo"}
