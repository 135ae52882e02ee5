"""YAML for people: multi-line text (shell, SQL) as literal blocks, secret values hidden, and typed YAML read
within limits.

PyYAML falls back to an escaped one-line string for text with trailing spaces or tabs; a literal block keeps those
exactly, so the emitter here allows it, and every dump is read back to check that nothing changed.

Hidden values: the default of a `password` parameter, env values and pipeline bindings whose name says secret (or,
for bindings, that set a password parameter of the pipeline's own) are shown as SECRET.
Saving SECRET back keeps the stored value (`restore_secrets`), so nobody needs to see a secret to edit around it.

Reading what a user typed (`load`): PyYAML's safe loader composes nodes recursively, so a deeply nested value ends in
a RecursionError, and aliases of aliases expand a small text into a huge value. `load` refuses both before any value
is built (a YamlRefused, one line), with the loader catalog files use (jenkins2flow_runtime.safe_yaml).
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.emitter import ScalarAnalysis

from jenkins2flow_runtime import safe_yaml
from jenkins2flow_runtime.safe_yaml import YamlRefused

__all__ = ["SECRET", "YamlRefused", "dump", "hide_secrets", "load", "restore_secrets"]

SECRET = "<hidden: unchanged>"
SECRET_ENV_RE = re.compile(r"(PASSW|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.IGNORECASE)
_BLOCK_OK = re.compile(r"^[^\r\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029\ufeff]*$")


class _Dumper(yaml.SafeDumper):
    def analyze_scalar(self, scalar: str) -> ScalarAnalysis:
        analysis = super().analyze_scalar(scalar)
        if "\n" in scalar and _BLOCK_OK.match(scalar):
            analysis.allow_block = True
        return analysis


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _str)


def dump(data: Any) -> str:
    """YAML with literal blocks for multi-line strings; falls back to PyYAML's plain form if that did not read back."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
    if yaml.safe_load(text) != data:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)
    return text


# -- reading typed YAML within limits --------------------------------------------------------------------------------

MAX_NODES = 200_000  # nodes, after aliases are expanded: a form's value is far smaller than a catalog file


def load(text: str) -> Any:
    """The one YAML document of `text` as plain data (None when empty): yaml.YAMLError when it is not valid YAML,
    YamlRefused (one line) when it is nested or expands beyond the limits."""
    return safe_yaml.load(text, max_nodes=MAX_NODES)


# -- hidden values ---------------------------------------------------------------------------------------------------

def _param_lists(spec: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    """The parameter declarations of a spec with their field path: `parameters` (tasks, views, templates) or
    `parameters.overrides` (pipelines)."""
    params = spec.get("parameters")
    if isinstance(params, dict):
        params = params.get("overrides")
        return [("parameters.overrides", params)] if isinstance(params, list) else []
    return [("parameters", params)] if isinstance(params, list) else []


def _secret_params(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for _, lst in _param_lists(spec) for p in lst
            if isinstance(p, dict) and p.get("type") == "password" and p.get("default") not in (None, "")}


def _secret_env(spec: dict[str, Any]) -> dict[str, Any]:
    env = spec.get("env")
    if not isinstance(env, dict):
        return {}
    return {k: env for k in env if SECRET_ENV_RE.search(str(k)) and env[k] not in (None, "")}


def _secret_bindings(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    """Pipelines: (task id, bindings, key) of the values bound to a password parameter of the pipeline's own or to a
    name that says secret."""
    passwords = set(_secret_params(spec)) | {p.get("name") for _, lst in _param_lists(spec) for p in lst
                                              if isinstance(p, dict) and p.get("type") == "password"}
    out = []
    for task in spec.get("tasks") or []:
        bindings = task.get("bindings") if isinstance(task, dict) else None
        if isinstance(bindings, dict):
            out += [(str(task.get("id")), bindings, k) for k, v in bindings.items()
                    if (k in passwords or SECRET_ENV_RE.search(str(k))) and v not in (None, "")]
    return out


def hide_secrets(spec: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a spec (JSON form) with its secret values replaced by SECRET."""
    out = _copy(spec)
    for param in _secret_params(out).values():
        param["default"] = SECRET
    for name, env in _secret_env(out).items():
        env[name] = SECRET
    for _, bindings, key in _secret_bindings(out):
        bindings[key] = SECRET
    return out


def restore_secrets(spec: dict[str, Any], stored: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Put the stored values back where `spec` (edited, JSON form) still says SECRET; returns the problems."""
    problems: list[tuple[str, str]] = []
    old_params = _secret_params(stored or {})
    for at, lst in _param_lists(spec):
        for i, p in enumerate(lst):
            if isinstance(p, dict) and p.get("default") == SECRET:
                if p.get("name") in old_params and p.get("type") == "password":
                    p["default"] = old_params[p["name"]]["default"]
                else:
                    problems.append((f"spec.{at}[{i}].default", "no value is stored for a password parameter of "
                                     "this name: type the value"))
    old_bindings = {(task, key): b[key] for task, b, key in _secret_bindings(stored or {})}
    for i, task in enumerate(spec.get("tasks") or []):
        bindings = task.get("bindings") if isinstance(task, dict) else None
        if not isinstance(bindings, dict):
            continue
        for key, value in bindings.items():
            if value == SECRET:
                if (str(task.get("id")), key) in old_bindings:
                    bindings[key] = old_bindings[str(task.get("id")), key]
                else:
                    problems.append((f"spec.tasks[{i}].bindings.{key}", "no value is stored for this binding: type "
                                     "the value"))
    old_env = (stored or {}).get("env") or {}
    env = spec.get("env")
    if isinstance(env, dict):
        for k, v in env.items():
            if v == SECRET:
                if k in old_env:
                    env[k] = old_env[k]
                else:
                    problems.append((f"spec.env.{k}", "no value is stored for this variable: type the value"))
    return problems


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
