"""Read a rendered HTML form back into the fields a browser would send (what the pages tests submit)."""

from __future__ import annotations

from html.parser import HTMLParser


class _Form(HTMLParser):
    def __init__(self, form_class: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_class = form_class
        self.inside = 0  # depth of the wanted form
        self.template = 0
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._text = ""
        self._select: str | None = None
        self._select_value: str | None = None
        self._first_option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.form_class in a.get("class", "").split():
            self.inside += 1
            return
        if not self.inside:
            return
        if tag == "template":
            self.template += 1
        if self.template:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button"):
                self.fields.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""
        elif tag == "select" and name:
            self._select, self._select_value, self._first_option = name, None, None
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in a:
                self._select_value = value

    def handle_endtag(self, tag: str) -> None:
        if tag == "template" and self.template:
            self.template -= 1
        elif tag == "textarea" and self._textarea is not None:
            text = self._text[1:] if self._text.startswith("\n") else self._text
            self.fields.append((self._textarea, text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            self.fields.append((self._select, self._select_value if self._select_value is not None
                                else self._first_option or ""))
            self._select = None
        elif tag == "form" and self.inside:
            self.inside -= 1

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data


Fields = dict[str, str | list[str]]


def form_fields(html: str, form_class: str = "doc-form") -> Fields:
    """name -> value (a list when the name repeats, as checked checkboxes do)."""
    parser = _Form(form_class)
    parser.feed(html)
    out: Fields = {}
    for name, value in parser.fields:
        if name in out:
            prev = out[name]
            out[name] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[name] = value
    return out


def replace(fields: Fields, **changes: str) -> Fields:
    """The fields with some values changed or added (pass names with dots as **{"spec.x": ...})."""
    return {**fields, **changes}
