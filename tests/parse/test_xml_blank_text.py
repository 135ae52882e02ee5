"""The config.xml parser reads most documents without their blank text (a smaller lxml tree); the Job must be the
one the usual tree gives, including where a handler reads the text of an element with children."""

from __future__ import annotations

import json
import random
import re

import pytest

from jenkins2flow.ir.to_json import job_to_dict
from jenkins2flow.parse import job_xml
from jenkins2flow.parse.job_xml import _blanks_ok, _has_inner_pi, parse_config_xml
from tests.parse.test_job_xml import FLOW, FREESTYLE, MULTIBRANCH, PROJECT_XML, ROOT

DECL = "<?xml version='1.1' encoding='UTF-8'?>\n"
OUR_JOBS = [("freestyle", FREESTYLE.encode()), ("flow", FLOW.encode()), ("multibranch", MULTIBRANCH.encode()),
            *((str(p.relative_to(ROOT)), p.read_bytes()) for p in PROJECT_XML)]

# Elements with children where a handler reads the element's own text (the blank tree has None there).
NON_LEAF_TEXT = {
    "description": "<project>\n  <description>\n    <b>x</b>\n  </description>\n</project>",
    "shell command": ("<project>\n  <builders>\n    <hudson.tasks.Shell>\n      <command>\n        <x/>\n"
                      "      </command>\n    </hudson.tasks.Shell>\n  </builders>\n</project>"),
    "flag": ("<project>\n  <publishers>\n    <hudson.tasks.ArtifactArchiver>\n      <artifacts>a</artifacts>\n"
             "      <fingerprint>\n        <x/>\n      </fingerprint>\n    </hudson.tasks.ArtifactArchiver>\n"
             "  </publishers>\n</project>"),
    "parameter": ("<project>\n  <properties>\n    <hudson.model.ParametersDefinitionProperty>\n"
                  "      <parameterDefinitions>\n        <hudson.model.StringParameterDefinition>\n"
                  "          <name>\n            <x/>\n          </name>\n"
                  "          <description>\n            <y/>\n          </description>\n"
                  "        </hudson.model.StringParameterDefinition>\n"
                  "        <hudson.model.ChoiceParameterDefinition>\n          <name>C</name>\n"
                  "          <choices class='java.util.Arrays$ArrayList'>\n            <a class='string-array'>\n"
                  "              <string>\n                <z/>\n              </string>\n            </a>\n"
                  "          </choices>\n        </hudson.model.ChoiceParameterDefinition>\n"
                  "        <org.biouno.unochoice.ChoiceParameter>\n          <name>A</name>\n"
                  "          <choiceType>\n            <t/>\n          </choiceType>\n"
                  "          <script class='x'>\n            <script>\n              <s/>\n            </script>\n"
                  "          </script>\n        </org.biouno.unochoice.ChoiceParameter>\n"
                  "      </parameterDefinitions>\n    </hudson.model.ParametersDefinitionProperty>\n"
                  "  </properties>\n</project>"),
    "trigger spec": ("<project>\n  <triggers>\n    <hudson.triggers.TimerTrigger>\n      <spec>\n        <x/>\n"
                     "      </spec>\n    </hudson.triggers.TimerTrigger>\n  </triggers>\n</project>"),
    "pipeline script": ("<flow-definition>\n"
                        "  <definition class='org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition'>\n"
                        "    <script>\n      <x/>\n    </script>\n  </definition>\n</flow-definition>"),
    "script path": ("<flow-definition>\n"
                    "  <definition class='org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition'>\n"
                    "    <scm class='hudson.scm.NullSCM'/>\n    <scriptPath>\n      <x/>\n    </scriptPath>\n"
                    "  </definition>\n</flow-definition>"),
    "axis name": ("<matrix-project>\n  <axes>\n    <hudson.matrix.TextAxis>\n      <name>\n        <x/>\n"
                  "      </name>\n      <varName>V</varName>\n      <values>\n        <string>a</string>\n"
                  "      </values>\n    </hudson.matrix.TextAxis>\n  </axes>\n</matrix-project>"),
    "maven goals": "<maven2-moduleset>\n  <goals>\n    <x/>\n  </goals>\n</maven2-moduleset>",
    "quiet period": "<project>\n  <quietPeriod>\n    <x/>\n  </quietPeriod>\n</project>",
    "can roam": "<project>\n  <canRoam>\n    <x/>\n  </canRoam>\n</project>",
    "plain": ("<project>\n  <description>   </description>\n  <builders>\n    <hudson.tasks.Shell>\n"
              "      <command>  \n  echo a\n  </command>\n    </hudson.tasks.Shell>\n  </builders>\n</project>"),
}

# Documents libxml2 would drop a leaf's blanks in: read with the usual parser.
NOT_ELIGIBLE = {
    "comment": ("<project>\n  <publishers>\n    <x.Y>\n      <note>  <!-- c -->  </note>\n    </x.Y>\n"
                "  </publishers>\n</project>"),
    "cdata": "<project>\n  <description>\n<![CDATA[x]]></description>\n</project>",
    "pi": "<project>\n  <description> <?pi x?> </description>\n</project>",
    "carriage return": "<project>\r\n  <description>  \r\n x</description>\r\n</project>",
}


def _job(data: bytes) -> tuple[str, str]:
    job = parse_config_xml(data, "config.xml", "j", read_script=False)
    return json.dumps(job_to_dict(job), default=repr), repr(job)


def _usual(data: bytes) -> tuple[str, str]:
    """The Job as the usual tree (blank text kept) gives it."""
    job = job_xml._parse(data, "config.xml", "j", job_xml.MAX_BYTES, read_script=False, blanks=False)
    return json.dumps(job_to_dict(job), default=repr), repr(job)


@pytest.mark.parametrize("name", sorted(NON_LEAF_TEXT))
def test_blank_tree_gives_the_usual_job(name: str) -> None:
    data = (DECL + NON_LEAF_TEXT[name]).encode()
    assert _blanks_ok(data)
    assert _job(data) == _usual(data)


@pytest.mark.parametrize("name", sorted(NOT_ELIGIBLE))
def test_documents_with_markup_around_leaf_blanks_use_the_usual_tree(name: str) -> None:
    data = (DECL + NOT_ELIGIBLE[name]).encode()
    assert not _blanks_ok(data)
    assert _job(data) == _usual(data)


def test_eligibility_rules() -> None:
    assert _blanks_ok(b"<project/>")
    assert not _blanks_ok(b" <project/>")  # not starting with "<"
    assert not _blanks_ok(b"\xef\xbb\xbf<project/>")
    assert _blanks_ok(b"<?xml version='1.0' encoding='utf-8'?><project>a?b</project>")
    assert not _blanks_ok(b"<?xml version='1.0'?><project><!-- c --></project>")
    assert not _blanks_ok(b"<project>\r\n</project>")
    assert _has_inner_pi(b"<?xml version='1.0'?><a>" + b"?" * 40 + b"<?x?></a>")
    assert not _has_inner_pi(b"<?xml version='1.0'?><a>" + b"?" * 40 + b"</a>")


def test_our_jobs_are_the_usual_ones() -> None:
    """Our own config.xml files and inline jobs (`make corpus` checks the corpus files the same way)."""
    for name, data in OUR_JOBS:
        assert _job(data) == _usual(data), name


def test_documents_in_other_encodings_use_the_usual_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    """The byte scans cannot see a comment in UTF-16 (no BOM: the bytes still start with "<"): the encoding
    libxml2 saw decides."""
    xml = ("<?xml version='1.0' encoding='UTF-16'?>\n" + NOT_ELIGIBLE["comment"]).encode("utf-16-le")
    assert _blanks_ok(xml)  # the scans are blind here...
    assert _job(xml) == _usual(xml)  # ...and the Job is still the usual one
    with monkeypatch.context() as m:  # (it would not be from the tree without blanks)
        m.setattr(job_xml, "_UTF8", ("UTF-8", "utf-8", "UTF-16LE", "UTF-16"))
        assert _job(xml) != _usual(xml)


_LEAF = re.compile(rb"<([A-Za-z_][\w.\-]*)((?:\s[^>]*)?)>([^<]*)</\1>")
_INNERS = (b"   ", b"\n", b"", b"\n  <x/>\n", b"\n  <x>1</x>\n  ", b" <y/>", b"\n    <string>a</string>\n  ")


def test_leaves_turned_into_parents_give_the_usual_job() -> None:
    """Random leaves of our jobs get children (or blank text): wherever a handler reads such an element's own
    text, the Job must still be the usual one."""
    rng = random.Random(5)
    for name, data in OUR_JOBS:
        leaves = list(_LEAF.finditer(data))
        for _ in range(10):
            out = data
            for m in sorted(rng.sample(leaves, min(len(leaves), rng.randint(1, 10))), key=lambda m: -m.start()):
                out = out[:m.start(3)] + rng.choice(_INNERS) + out[m.end(3):]
            assert _job(out) == _usual(out), name
