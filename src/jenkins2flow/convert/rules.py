"""Conversion rules as data: `mappings/*.yaml`, overridable with `--mappings DIR`.

One registry per extension point (steps, plugins, options, triggers, post, elements, invocations), each keyed by the
exact Jenkins id (`sh`, `hudson.tasks.Shell`). A rule names a handler with its parameters, waives the element with a
reason, or points at a Python hook `module:function` for what data cannot say.

DATA_TABLES (agents, tools, scm, notifications) are facts of an estate rather than rules per element: nested
mappings that a user's file merges into key by key (mappings/environments.yaml and notifications.yaml say what each
holds).
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from jenkins2flow.errors import UsageError

REGISTRIES = ("steps", "plugins", "options", "triggers", "post", "elements", "agents", "invocations", "tools", "scm",
              "notifications")
DATA_TABLES = ("agents", "tools", "scm", "notifications")
# the keys a rule of a data table may set (a typo is an error at load time, not a silent no-op)
AGENT_KEYS = frozenset({"queue", "pool", "image", "shells"})
INSTALLATION_KEYS = frozenset({"home", "image", "env"})
OWN_KEYS = frozenset({"url", "branch", "credentials", "provided"})
TRIGGER_KEYS = frozenset({"send", "condition", "never", "approximate", "waive", "unless_unstable", "unstable_runs"})
# The default rules: the top-level mappings/ folder, which the package links to and the wheel carries a copy of.
DEFAULT_DIR = Path(str(resources.files("jenkins2flow") / "mappings"))


def did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


@dataclass(frozen=True, slots=True)
class Rule:
    key: str
    handler: str = ""
    waive: str = ""
    hook: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    origin: str = ""  # the file the rule came from

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)


@dataclass
class Rules:
    tables: dict[str, dict[str, Any]] = field(default_factory=lambda: {r: {} for r in REGISTRIES})
    origins: list[str] = field(default_factory=list)
    # "did you mean" of unknown keys: difflib over a whole registry costs milliseconds, and an estate asks for the
    # same unknown plugins and steps again and again (keyed with the registry's size, which grows as rules load)
    _close: dict[tuple[str, str, int], str] = field(default_factory=dict, repr=False, compare=False)

    def rule(self, registry: str, key: str) -> Rule | None:
        raw = self.tables[registry].get(key)
        if raw is None:
            return None
        if isinstance(raw, Rule):
            return raw
        return _rule(key, raw, "")

    def unknown(self, registry: str, key: str, what: str) -> str:
        """The message for an element no rule covers, with a "did you mean" when a known key is close."""
        table = self.tables[registry]
        cached = (registry, key, len(table))
        if cached not in self._close:
            self._close[cached] = did_you_mean(key, table)
        return f"Unknown {what} {key!r}: no rule in mappings/{registry}.{self._close[cached]}"

    def table(self, registry: str) -> dict[str, Any]:
        return self.tables[registry]


def _rule(key: str, raw: Any, origin: str) -> Rule:
    if not isinstance(raw, dict):
        raise UsageError(f"{origin}: the rule for {key!r} must be a mapping such as {{handler: shell}}, not {raw!r}.")
    params = {k: v for k, v in raw.items() if k not in ("handler", "waive", "hook")}
    return Rule(key, str(raw.get("handler", "")), str(raw.get("waive", "")), str(raw.get("hook", "")), params, origin)


def load_rules(extra_dirs: Iterable[Path] = (), handlers: Iterable[str] | None = None) -> Rules:
    """The default rules, then every `*.yaml` of each extra dir on top (a later file overrides a key)."""
    rules = Rules()
    for directory in [DEFAULT_DIR, *extra_dirs]:
        if not directory.is_dir():
            raise UsageError(f"{directory}: the mappings folder does not exist; give a folder of *.yaml rule files.")
        for path in sorted(directory.glob("*.yaml")):
            _merge(rules, path)
    if handlers is not None:
        check(rules, set(handlers))
    return rules


# Registries that are no more: their conditions are decided by the Groovy evaluator (convert.evaluate.when).
RETIRED = {"when": "`when` conditions are decided by the converter's Groovy evaluator (convert/evaluate/when.py); "
                   "remove the `when:` table"}


def _merge(rules: Rules, path: Path) -> None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise UsageError(f"{where}: the mappings file is not valid YAML ({getattr(exc, 'problem', exc)}).") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}:1:1: a mappings file is a mapping of registries ({', '.join(REGISTRIES)}).")
    rules.origins.append(str(path))
    for registry, table in data.items():
        if registry in RETIRED:
            raise UsageError(f"{path}: registry {registry!r} is no longer read: {RETIRED[registry]}.")
        if registry not in REGISTRIES:
            raise UsageError(f"{path}: unknown registry {registry!r}.{did_you_mean(str(registry), REGISTRIES)}")
        if not isinstance(table, dict):
            raise UsageError(f"{path}: registry {registry!r} must be a mapping of Jenkins ids to rules.")
        if registry in DATA_TABLES:
            rules.tables[registry] = deep_merge(rules.tables[registry], table)
            _check_data(registry, rules.tables[registry], path)
            continue
        for key, raw in table.items():
            rule = _rule(str(key), raw, str(path))
            rules.tables[registry][str(key)] = rule


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` with `extra` merged in: nested mappings key by key, anything else replaced."""
    out = dict(base)
    for key, value in extra.items():
        old = out.get(key)
        out[key] = deep_merge(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return out


def _check_data(registry: str, table: dict[str, Any], path: Path) -> None:
    """The rules of agents and tools use only the keys they know."""
    checked: list[tuple[str, Any, frozenset[str]]] = []
    if registry == "agents":
        env = table.get("env")
        if env is not None and not (isinstance(env, dict) and all(
                isinstance(v, str | int | float | bool) or v is None for v in env.values())):
            raise UsageError(f"{path}: agents.env must map variable names to values (or null when the workers' "
                             f"environment has the variable), not {env!r}.")
        checked += [(f"agents.{k}", table.get(k), AGENT_KEYS) for k in ("any", "default")]
        checked += [(f"agents.labels.{k}", v, AGENT_KEYS) for k, v in (table.get("labels") or {}).items()]
    if registry == "notifications":
        checked += [(f"notifications.emailext_triggers.{k}", v, TRIGGER_KEYS)
                    for k, v in (table.get("emailext_triggers") or {}).items()]
    if registry == "scm":
        checked += [("scm.own", table.get("own"), OWN_KEYS)]
    if registry == "tools":
        for kind, names in (table.get("installations") or {}).items():
            checked += [(f"tools.installations.{kind}.{k}", v, INSTALLATION_KEYS) for k, v in (names or {}).items()]
    for where, rule, known in checked:
        if rule is None:
            continue
        if not isinstance(rule, dict):
            raise UsageError(f"{path}: {where} must be a mapping such as {{{sorted(known)[0]}: ...}}, not {rule!r}.")
        runs = rule.get("unstable_runs", ["on"])
        if not (isinstance(runs, list) and runs and all(r in ("on", "fails") for r in runs)):
            raise UsageError(f"{path}: {where}.unstable_runs must list \"on\" and/or fails (quoted \"on\": YAML "
                             f"reads on as true), not {runs!r}.")
        for key in rule:
            if key not in known:
                raise UsageError(f"{path}: {where} has unknown key {key!r}.{did_you_mean(str(key), known)} "
                                 f"(known: {', '.join(sorted(known))})")


def check(rules: Rules, handlers: set[str]) -> None:
    """Every handler named in a rule exists and every hook imports; the first problem raises a UsageError."""
    for registry in ("steps", "plugins", "options", "triggers"):
        for key, rule in rules.tables[registry].items():
            if not isinstance(rule, Rule):
                continue
            if rule.handler and rule.handler not in handlers:
                raise UsageError(
                    f"{rule.origin}: rule {registry}.{key} names unknown handler {rule.handler!r}."
                    f"{did_you_mean(rule.handler, handlers)}"
                )
            if not (rule.handler or rule.waive or rule.hook):
                raise UsageError(f"{rule.origin}: rule {registry}.{key} needs one of handler, waive or hook.")
            if rule.hook:
                load_hook(rule.hook, rule.origin)


def load_hook(spec: str, origin: str = "") -> Callable[..., Any]:
    module_name, _, func = spec.partition(":")
    if not module_name or not func:
        raise UsageError(f"{origin}: hook {spec!r} must be 'module:function'.")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"{origin}: hook {spec!r}: cannot import {module_name!r} ({exc}).") from None
    fn = getattr(module, func, None)
    if not callable(fn):
        names = [n for n in dir(module) if not n.startswith("_")]
        raise UsageError(f"{origin}: hook {spec!r}: {module_name} has no function {func!r}.{did_you_mean(func, names)}")
    return fn  # type: ignore[no-any-return]
