"""The lint knows the names a shell script binds itself (loops, read, local/declare, getopts, arithmetic), in `sh`
steps of any Groovy quoting and in freestyle shell builders, and still flags a real unbound read."""

from __future__ import annotations

import pytest

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.lint import shell_usage
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
from jenkins2flow.parse.job_xml import parse_config_xml
from tests.convert.helpers import own_provided

# script -> unbound names (nothing bound but the Jenkins and shell names)
SELF_BOUND: list[tuple[str, list[str]]] = [
    ('set -euo pipefail\nfor f in a b; do echo "$f-done"; done', []),
    ("for f in a b\ndo\n  echo ${f}\ndone", []),
    ("for f; do echo $f; done", []),
    ("while read -r A B; do echo $A $B; done < f", []),
    ("while IFS=: read -r a b; do echo $a $b; done < f", []),
    ("cat f | while read line; do echo $line; done", []),
    ("read NAME < f; echo $NAME", []),
    ("f() { local L=1; local -r M; echo $1 $L $M; }", []),
    ("declare -a ARR=(1 2); typeset T=3; echo ${ARR[@]} $T", []),
    ("S+=x; arr+=(y); echo $S ${arr[0]}", []),
    ("getopts 'ab:' OPT; echo $OPT", []),
    ("while getopts \":a:\" opt; do case $opt in a) A=$OPTARG;; esac; done; echo $A", []),
    ("getopts $SPEC OPT; echo $OPT", ["SPEC"]),
    ("for (( i = 0; i < 3; i++ )); do echo $i; done", []),
    ("(( n = 3 )); ((m++)); (( --k )); (( x += 2 )); echo $n $m $k $x", []),
    ("echo $(( c = 1 )) $c", []),
    ("(( a == 1 || b <= 2 || d != 3 )); echo $a $b $d", ["a", "b", "d"]),
    ("echo $(( $E + 1 )); (( $F > 0 ))", ["E", "F"]),
    ("case $1 in a) echo $PAT;; esac", ["PAT"]),  # a case pattern binds nothing
    ("echo $USED_FIRST; for USED_FIRST in a; do :; done", ["USED_FIRST"]),
    ("for f in a; do echo $f $NOT_SET; done", ["NOT_SET"]),
]


@pytest.mark.parametrize(("script", "unbound"), SELF_BOUND, ids=[c[0][:40] for c in SELF_BOUND])
def test_names_the_script_binds_are_not_findings(script: str, unbound: list[str]) -> None:
    assert shell_usage(script).unbound == unbound


def test_deep_arithmetic_is_read_to_the_end() -> None:
    usage = shell_usage("$((" * 5_000 + "$Z")
    assert len(usage.unbound) <= 1


JENKINSFILE = """pipeline {
  agent any
  stages {
    stage('Build') {
      steps {
        sh \"\"\"
          set -euo pipefail
          for f in a b; do echo "\\$f-done"; done
        \"\"\"
        sh '''
          set -euo pipefail
          for g in a b; do echo "$g-done"; done
        '''
        sh 'for h in a b; do echo "\\$h-done"; done'
        sh "while read -r A B; do echo \\$A \\${B}; done < list"
        %s
      }
    }
  }
}
"""


def _lint(conv: object) -> list[str]:
    return [f.message.split(" ")[0] for f in conv.lint if f.kind == "unbound"]  # type: ignore[attr-defined]


def test_a_jenkinsfile_loop_variable_escaped_for_groovy_is_bound() -> None:
    conv = convert_job(parse_jenkinsfile(JENKINSFILE % "", "Jenkinsfile", "team/loops"), own_provided())
    assert _lint(conv) == [] and conv.status == "converted"
    commands = [d.spec.command for d in conv.tasks]
    assert any('echo "$f-done"' in c for c in commands)  # the shell sees $f, the Groovy escape gone


def test_a_jenkinsfile_real_unbound_read_is_still_a_finding() -> None:
    text = JENKINSFILE % "sh 'for f in a; do echo $f $NOWHERE; done'"
    conv = convert_job(parse_jenkinsfile(text, "Jenkinsfile", "team/loops"), own_provided())
    assert _lint(conv) == ["$NOWHERE"] and conv.status == "partial"


CONFIG_XML = """<?xml version='1.1' encoding='UTF-8'?>
<project>
  <scm class="hudson.scm.NullSCM"/>
  <builders>
    <hudson.tasks.Shell>
      <command>set -euo pipefail
for f in a b; do echo "$f-done"; done
while getopts ':a:' opt; do echo $opt; done
for (( i = 0; i &lt; 2; i++ )); do echo $i; done
%s</command>
    </hudson.tasks.Shell>
  </builders>
</project>
"""


@pytest.mark.parametrize(("extra", "unbound"), [("", []), ("echo $NOWHERE", ["$NOWHERE"])])
def test_a_freestyle_shell_builder_binds_the_same_names(extra: str, unbound: list[str]) -> None:
    conv = convert_job(parse_config_xml((CONFIG_XML % extra).encode(), "config.xml", "team/free"))
    assert _lint(conv) == unbound
