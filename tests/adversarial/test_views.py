"""Jinja views bounded in time, output size and arithmetic: every template past a limit, every sandbox violation and
every other failure while rendering is the view's own error (ViewTemplateError naming the view), quickly; ordinary
templates render exactly as in jinja2's sandbox."""

from __future__ import annotations

import time

import pytest
from jenkins2flow_runtime.views import ViewTemplateError, render_sql
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

BOMBS = {
    "{{ 9**(9**9) }}": "9 ** 387420489 would have about 1,549,681,956 bits",
    "{{ 'x' * 10**10 }}": "a repeated string or list would be 10,000,000,000 long",
    "{{ (range(100000)|list) * 100000 }}": "a repeated string or list would be 10,000,000,000 long",
    "{{ range(10**12)|list|length }}": "Range too big",
    "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}":
        "a value would be 8,388,608 long",
    "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}{% endfor %}":
        "a joined string or list would be 8,388,608 long",
    "{% for i in range(100000) %}{% for j in range(100000) %}0123456789{% endfor %}{% endfor %}":
        "the SQL is longer than 5,000,000 characters",
    "{{ '%0999999999d' % 1 }}": "a formatted value would be 999,999,999 long",
    "{{ '{:>999999999}'.format(1) }}": "a formatted value would be 999,999,999 long",
    "{{ 'x'.ljust(10**9) }}": "str.ljust() would be 1,000,000,000 long",
    "{{ 'x'|center(10**9) }}": "the center filter would be 1,000,000,000 long",
    "{{ ('x' * 1000000)|replace('', 'yyyyyyyyyy') }}": "the replace filter would be 11,000,010 long",
    "{{ ('x' * 1000)|indent(10**7) }}": "the indent filter would be 10,001,000 long",
    "{{ range(10)|batch(10**9, 'x')|list }}": "the batch filter would be 1,000,000,000 long",
    "{{ range(100000)|map('string')|join('y' * 1000000) }}": "the join filter would be 100,000,488,890 long",
    "{{ ('y' * 1000000).join(range(100000)|map('string')) }}": "str.join() would be 100,000,488,890 long",
    "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}": "RecursionError",
    "{{ 1 / 0 }}": "ZeroDivisionError",
    "{{ 10.0 ** 400 }}": "OverflowError",
    "{{ ''.__class__.__mro__ }}": "the sandbox forbids",
}
SLOW = [  # only the deadline stops these: 10^10 or 10^15 loop turns, with no output or output into a buffer
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% set r = range(100000) %}{% for i in r %}{% for j in r %}{% for k in r %}{% endfor %}{% endfor %}{% endfor %}",
    "{% filter upper %}{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
    "{% endfilter %}",
]


@pytest.mark.parametrize("template", sorted(BOMBS))
def test_a_bomb_is_the_view_error(template: str) -> None:
    started = time.monotonic()
    with pytest.raises(ViewTemplateError) as info:
        render_sql(template, {}, name="sales.v")
    assert str(info.value).startswith("View 'sales.v': ")
    assert BOMBS[template] in str(info.value)
    assert time.monotonic() - started < 5  # generous: these are refused before the work, or soon after


@pytest.mark.parametrize("template", SLOW)
def test_endless_loops_hit_the_deadline(template: str) -> None:
    started = time.monotonic()
    with pytest.raises(ViewTemplateError, match="View 'sales.v': .*rendering took more than 0.3 s"):
        render_sql(template, {}, name="sales.v", seconds=0.3)
    assert time.monotonic() - started < 5


def test_the_size_limit_is_configurable() -> None:
    assert render_sql("{{ 'x' * 100 }}", {}, max_chars=100) == "x" * 100
    with pytest.raises(ViewTemplateError, match="would be 101 long, above the limit of 100"):
        render_sql("{{ 'x' * 101 }}", {}, max_chars=100)


@pytest.mark.parametrize("template", [
    "SELECT {% for c in params.cols %}{{ c }}{{ ', ' if not loop.last }}{% endfor %} FROM t",
    "{% macro col(n) %}c_{{ n }}{% endmacro %}{% for i in range(3) %}{{ col(i) }} {% endfor %}",
    "{{ params.cols|join(', ') }} {{ params.cols|map('upper')|join('|') }} {{ 'a-b'|replace('-', '_') }}",
    "{{ 'x'|center(9) }}|{{ 'a\nb'|indent(4) }}|{{ '%05d'|format(42) }}|{{ '{:>6}'.format('r') }}|{{ 2 ** 100 }}",
    "{% filter upper %}{% for c in params.cols %}{{ c }} {% endfor %}{% endfilter %}{% set x %}in{% endset %}{{ x }}",
    "{{ range(7)|batch(3, 0)|list }} {{ range(7)|slice(3)|list }} {{ 'ab' * 3 }} {{ [1] + [2] }} {{ 'a' ~ 1 ~ 'b' }}",
    "{% for k, v in params.m|dictsort %}{{ k }}={{ v }};{% else %}none{% endfor %}{{ '%s-%s' % ('a', 'b') }}",
])
def test_ordinary_templates_render_as_in_the_plain_sandbox(template: str) -> None:
    context = {"params": {"cols": ["id", "name", "total"], "m": {"b": 2, "a": 1}}}
    plain = ImmutableSandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True)
    assert render_sql(template, context) == plain.from_string(template).render(**context)
