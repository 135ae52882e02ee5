"""Readable names: a converted task's title says its Jenkins stage and what its step does, beside the stable id."""

from __future__ import annotations

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.context import TITLE_MAX
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile

JENKINSFILE = """\
pipeline {
  agent any
  parameters { string(name: 'DAY', defaultValue: '2026-01-01') }
  stages {
    stage('Extract data') {
      steps {
        sh '''
          # fetch the day's orders
          set -e
          python extract.py --day "$DAY"
        '''
        echo "extracted ${params.DAY}"
      }
    }
    stage('Publish') {
      steps {
        sh 'curl -H "Authorization: Bearer ghp_abcdefghijklmnopqrstuvwxyz0123456789" https://example.com/x'
        sh 'echo LONG'
        build job: 'reports/daily', wait: false
      }
    }
  }
}
""".replace("LONG", "x" * 200)


def _titles() -> dict[str, str]:
    conv = convert_job(parse_jenkinsfile(JENKINSFILE, "Jenkinsfile", "titles"))
    assert conv.pipeline is not None
    return {t.id: t.title for t in conv.pipeline.tasks}


def test_titles_name_the_stage_and_the_first_line_that_does_something() -> None:
    titles = _titles()
    assert titles["extract_data"] == 'Extract data · sh: python extract.py --day "$DAY"'
    assert titles["extract_data_2"].startswith("Extract data · echo ")
    assert "J2F_" not in titles["extract_data_2"]  # a value computed in the run is not shown as its variable
    assert titles["publish_trigger"] == "Publish · build reports/daily"


def test_titles_are_short_single_lines_without_secrets() -> None:
    titles = _titles()
    assert all(len(t) <= TITLE_MAX and "\n" not in t for t in titles.values())
    assert "ghp_abcdefghijklmnopqrstuvwxyz0123456789" not in " ".join(titles.values())
    assert titles["publish"].startswith("Publish · sh: curl")
    assert titles["publish_2"].endswith("…")
