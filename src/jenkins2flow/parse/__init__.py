"""parse: text -> syntax. The config.xml reader may be compiled (see `compiled`); this picks which one runs."""

from pathlib import Path

from jenkins2flow.parse.compiled import choose

READER = choose(Path(__file__).resolve().parents[2])
