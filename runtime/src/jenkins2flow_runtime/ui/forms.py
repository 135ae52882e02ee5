"""Forms generated from the model's JSON Schema, and read back into a spec by the same schema.

Every field becomes one control named by its path (`spec.tasks.0.uses.name`), labelled with its title and helped
by its description. The widget follows the schema: text, number, checkbox, select, code (shell, SQL: `x-widget`),
lines (lists of strings), checkboxes (lists of choices), nested groups, repeated groups (lists of objects, with add
and remove), and YAML for free-form values (mappings, matrices). Reading never loses what was typed: a value that
does not convert is kept as typed (`Reading.raw`) with a message at its field, and the form is shown again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from starlette.datastructures import ImmutableMultiDict

from jenkins2flow_runtime.ui.yamltext import YamlRefused, dump, load

FormData = ImmutableMultiDict[str, Any]  # starlette's FormData is one

NEW = "__new__"  # the index of the blank item in a repeated group's template
_PARAM_TYPES = {"string", "text", "boolean", "choice", "password", "integer", "number"}


@dataclass
class Control:
    path: str
    label: str
    help: str
    widget: str  # text number checkbox select code textarea lines checkboxes yaml value group optional list
    value: Any = ""
    options: list[str] = field(default_factory=list)
    required: bool = False
    language: str = ""
    secret: bool = False
    present: bool = True  # optional groups: whether the group is set
    children: list[Control] = field(default_factory=list)
    template: Control | None = None  # lists: a blank item for "add"
    item: str = ""  # lists: what one item is called ("Task")
    errors: list[str] = field(default_factory=list)

    def walk(self) -> list[Control]:
        out = [self]
        for child in self.children:
            out += child.walk()
        return out


@dataclass
class Reading:
    data: dict[str, Any]
    raw: dict[str, str]  # path -> the text as typed, where it did not convert
    problems: list[tuple[str, str]]  # (form path, message)


def form_path(issue_path: str) -> str:
    """`spec.tasks[2].depends_on[0]` -> `spec.tasks.2.depends_on.0` (the form's naming)."""
    return issue_path.replace("[", ".").replace("]", "")


class SchemaForm:
    """The form of one spec type, from its JSON Schema."""

    def __init__(self, schema: dict[str, Any], prefix: str = "spec") -> None:
        self.schema = schema
        self.defs: dict[str, Any] = schema.get("$defs", {})
        self.prefix = prefix

    # -- schema shapes ---------------------------------------------------------------------------------------------

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = {**self.defs[node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
        return node

    def shape(self, node: dict[str, Any]) -> tuple[str, dict[str, Any], bool]:
        """(widget, resolved node, nullable)."""
        node = self._resolve(node)
        nullable = False
        if "anyOf" in node:
            options = [self._resolve(o) for o in node["anyOf"]]
            real = [o for o in options if o.get("type") != "null"]
            nullable = len(real) < len(options)
            if len(real) == 1:
                node = {**real[0], **{k: v for k, v in node.items() if k != "anyOf"}}
            else:
                return "yaml", node, nullable
        kind = node.get("type")
        if "enum" in node:
            return "select", node, nullable
        if kind == "string":
            return {"code": "code", "textarea": "textarea"}.get(node.get("x-widget", ""), "text"), node, nullable
        if kind in ("integer", "number"):
            return kind, node, nullable
        if kind == "boolean":
            return "checkbox", node, nullable
        if kind == "array":
            items = self._resolve(node.get("items", {}))
            if "enum" in items:
                return "checkboxes", node, nullable
            if items.get("type") == "string":
                return "lines", node, nullable
            if "properties" in items:
                return "list", node, nullable
            return "yaml", node, nullable
        if kind == "object" and "properties" in node:
            return ("optional" if nullable else "group"), node, nullable
        if kind is None and "properties" not in node:
            return "value", node, nullable
        return "yaml", node, nullable

    # -- building controls -----------------------------------------------------------------------------------------

    def controls(self, data: Mapping[str, Any], raw: Mapping[str, str] | None = None) -> list[Control]:
        """The controls of the whole spec, showing `data` (and `raw` text where it did not convert)."""
        return self._group_children(self.schema, data, self.prefix, raw or {})

    def _group_children(self, node: dict[str, Any], data: Mapping[str, Any], path: str,
                        raw: Mapping[str, str]) -> list[Control]:
        node = self._resolve(node)
        required = set(node.get("required", []))
        out = []
        for name, prop in node.get("properties", {}).items():
            value = data[name] if name in data else self._resolve(prop).get("default")
            control = self._control(name, prop, value, f"{path}.{name}", raw, name in required)
            if name == "default" and data.get("type") == "password":
                control.secret = True
            out.append(control)
        return out

    def _control(self, name: str, prop: dict[str, Any], value: Any, path: str, raw: Mapping[str, str],
                 required: bool) -> Control:
        widget, node, nullable = self.shape(prop)
        label = _label(prop.get("title") or name.replace("_", " ").capitalize())  # the field's, not its type's ("Ref")
        c = Control(path=path, label=label, help=prop.get("description") or node.get("description", ""),
                    widget=widget, required=required, language=node.get("x-language", ""))
        if widget == "select":
            c.options = [str(o) for o in node["enum"]]
            if nullable and "" not in c.options:
                c.options.insert(0, "")
        if widget == "checkboxes":
            c.options = [str(o) for o in self._resolve(node["items"])["enum"]]
        if widget in ("group", "optional"):
            c.present = value is not None
            c.children = self._group_children(node, value if isinstance(value, Mapping) else {}, path, raw)
        elif widget == "list":
            items, one = node["items"], _singular(label)
            c.item = one
            c.children = [self._item(items, v, f"{path}.{i}", raw, f"{one} {i + 1}") for i, v in enumerate(value or [])]
            c.template = self._item(items, {}, f"{path}.{NEW}", {}, f"New {one.lower()}")
        else:
            c.value = raw[path] if path in raw else _shown(widget, value)
        return c

    def _item(self, items: dict[str, Any], value: Any, path: str, raw: Mapping[str, str], label: str) -> Control:
        node = self._resolve(items)
        return Control(path=path, label=label, help="", widget="group",
                       children=self._group_children(node, value if isinstance(value, Mapping) else {}, path, raw))

    # -- reading a submitted form ----------------------------------------------------------------------------------

    def read(self, form: FormData) -> Reading:
        reading = Reading({}, {}, [])
        reading.data = self._read_group(self.schema, form, self.prefix, reading)
        return reading

    def _read_group(self, node: dict[str, Any], form: FormData, path: str, reading: Reading) -> dict[str, Any]:
        node = self._resolve(node)
        out: dict[str, Any] = {}
        for name, prop in node.get("properties", {}).items():
            value = self._read(prop, form, f"{path}.{name}", reading)
            if value is not _MISSING:
                out[name] = value
        if "default" in out and isinstance(out["default"], str) and out.get("type") in _PARAM_TYPES:
            typed = _typed_default(out["default"], str(out["type"]))
            if typed is _MISSING:
                reading.raw[f"{path}.default"] = out["default"]
                reading.problems.append((f"{path}.default", f"{out['default']!r} is not a {out['type']} value"))
            else:
                out["default"] = typed
        return out

    def _read(self, prop: dict[str, Any], form: FormData, path: str, reading: Reading) -> Any:
        widget, node, nullable = self.shape(prop)
        if widget in ("group", "optional"):
            if widget == "optional" and not form.get(f"{path}.__present"):
                return None if f"{path}.__shown" in form.keys() else _MISSING
            return self._read_group(node, form, path, reading)
        if widget == "list":
            return [self._read_group(node["items"], form, f"{path}.{i}", reading) for i in item_indexes(form, path)]
        if widget == "checkbox":
            if form.get(path) is not None:
                return True
            return False if form.get(f"{path}.__bool") is not None else _MISSING
        if widget == "checkboxes":
            allowed = self._resolve(node["items"])["enum"]
            if form.get(f"{path}.__shown") is None:
                return _MISSING
            return [v for v in allowed if v in form.getlist(path)]
        text = form.get(path)
        if text is None:
            return _MISSING
        text = str(text).replace("\r\n", "\n")
        if widget in ("code", "textarea"):
            return text
        if widget == "lines":
            return [line.strip() for line in text.split("\n") if line.strip()]
        if widget == "yaml":
            return _read_yaml(text, node, path, reading)
        text = text.strip()
        if widget == "value":
            return _MISSING if text == "" else text  # typed by its parameter's `type` in _read_group
        if widget == "select":
            return None if text == "" and nullable else text
        if widget in ("integer", "number"):
            if text == "":
                return None if nullable else _MISSING
            try:
                return int(text) if widget == "integer" else float(text)
            except ValueError:
                reading.raw[path] = text
                what = "a whole number" if widget == "integer" else "a number"
                reading.problems.append((path, f"{text!r} is not {what}"))
                return _MISSING
        return text


_MISSING: Any = object()


# words of the schema's generated titles ("Ssh Agent", "Cpu") as they are written
WORDS = {"Cpu": "CPU", "Sql": "SQL", "Ssh": "SSH", "Id": "ID", "Sha256": "SHA-256", "Dagrun": "DAG run"}
TITLES = {"And Dom Dow": "Day of month AND day of week"}


def _label(title: str) -> str:
    return TITLES.get(title) or " ".join(WORDS.get(w, w) for w in title.split())


def _singular(label: str) -> str:
    """"Tasks" -> "Task", "Depends on" stays: the name of one item of a list."""
    return label[:-1] if label.endswith("s") and not label.endswith("ss") else label


def item_indexes(form: FormData, path: str) -> list[int]:
    """The items of a repeated group present in a submitted form, in their order (each has a `__item` marker)."""
    head, tail = f"{path}.", ".__item"
    found = set()
    for key in form.keys():
        if key.startswith(head) and key.endswith(tail):
            middle = key[len(head):-len(tail)]
            if middle.isdigit():
                found.add(int(middle))
    return sorted(found)


def _shown(widget: str, value: Any) -> Any:
    if widget == "checkbox":
        return bool(value)
    if widget == "checkboxes":
        return [str(v) for v in value or []]
    if widget == "lines":
        return "\n".join(str(v) for v in value or [])
    if widget == "yaml":
        return "" if value in (None, {}, []) else dump(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _typed_default(text: str, kind: str) -> Any:
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        return _MISSING
    if kind == "boolean":
        return {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}.get(text.lower(),
                                                                                                  _MISSING)
    return text


def _read_yaml(text: str, node: dict[str, Any], path: str, reading: Reading) -> Any:
    if not text.strip():
        return _MISSING
    try:
        value = load(text)
    except YamlRefused as err:
        reading.raw[path] = text
        reading.problems.append((path, f"refused: {err}"))
        return _MISSING
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        reading.raw[path] = text
        reading.problems.append((path, f"not valid YAML{where}: {getattr(err, 'problem', None) or err}"))
        return _MISSING
    expected = {"object": dict, "array": list}.get(node.get("type", ""))
    if expected is not None and not isinstance(value, expected):
        reading.raw[path] = text
        what = "a mapping (one `name: value` per line)" if expected is dict else "a list (one `- item` per line)"
        reading.problems.append((path, f"expected {what}, got {type(value).__name__}"))
        return _MISSING
    return value


def attach(controls: list[Control], problems: list[tuple[str, str]]) -> None:
    """Show each problem at its field, or at the nearest enclosing field the form has."""
    by_path = {c.path: c for top in controls for c in top.walk()}
    for path, message in problems:
        parts = form_path(path).split(".")
        while parts:
            control = by_path.get(".".join(parts))
            if control is not None:
                control.errors.append(message)
                break
            parts.pop()
