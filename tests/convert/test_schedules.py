"""Schedules keep Jenkins' meaning: H hashes the job's real full name (folder/job, a multibranch branch's encoded
name), each trigger has its own hash, `TZ=` is honoured, Jenkins' default zone is --timezone (UTC when not given,
and said so), and a loose file's guessed name makes an H schedule an approximation."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from jenkins2flow.cli.main import cli
from jenkins2flow.convert import convert_job
from jenkins2flow.convert.estate import convert_estate, iter_jobs
from jenkins2flow.convert.estate import named as named_jobs
from jenkins2flow.convert.summary import EstateReport
from jenkins2flow.parse.job_xml import parse_config_xml
from jenkins2flow.schedule.cron import resolve
from jenkins2flow.sources.files import read_file
from tests.convert.helpers import own_provided
from tests.convert.test_golden import GOLDEN, convert_case

DATA_HOME = Path(__file__).resolve().parents[1] / "sources" / "data" / "jenkins_home"


def _jenkinsfile(spec: str) -> str:
    return ("pipeline {\n  agent any\n"
            f"  triggers {{ cron('''{spec}''') }}\n"
            "  stages { stage('Load') { steps { sh 'python load.py' } } }\n}\n")


def _write(tmp_path: Path, spec: str, name: str = "Jenkinsfile") -> Path:
    path = tmp_path / name
    path.write_text(_jenkinsfile(spec), encoding="utf-8")
    return path


def _freestyle(*timers: str) -> bytes:
    triggers = "".join(f"<hudson.triggers.TimerTrigger><spec>{t}</spec></hudson.triggers.TimerTrigger>"
                       for t in timers)
    return (f"<project><triggers>{triggers}</triggers><builders><hudson.tasks.Shell><command>make</command>"
            "</hudson.tasks.Shell></builders></project>").encode()


def _cron_entries(conv):  # type: ignore[no-untyped-def]
    return [e for e in conv.ledger if e.element == "trigger cron"]


def test_h_hashes_the_full_name_with_its_folder() -> None:
    spec = "H H * * *"
    convs = {name: convert_job(parse_config_xml(_freestyle(spec), "config.xml", name))
             for name in ("team/nightly", "nightly")}
    crons = {name: c.pipeline.schedule.cron for name, c in convs.items()}  # type: ignore[union-attr]
    assert crons["team/nightly"] == resolve(spec, "team/nightly").cron
    assert crons["nightly"] == resolve(spec, "nightly").cron
    assert crons["team/nightly"] != crons["nightly"], "the folder is part of the seed"
    assert all(c.status == "converted" for c in convs.values()), [c.reasons for c in convs.values()]


def test_each_trigger_hashes_afresh_as_jenkins_gives_each_its_own_crontab() -> None:
    conv = convert_job(parse_config_xml(_freestyle("H 1 * * *", "H 2 * * *"), "config.xml", "etl/two"))
    schedule = conv.pipeline.schedule  # type: ignore[union-attr]
    assert schedule is not None
    first, second = schedule.cron
    assert first == resolve("H 1 * * *", "etl/two").cron[0] and second == resolve("H 2 * * *", "etl/two").cron[0]
    assert first.split()[0] == second.split()[0], "both minutes are the first draw of a fresh hash"
    assert schedule.jenkins_spec == "H 1 * * *\nH 2 * * *"


def test_tz_line_is_honoured_and_beats_the_default_zone() -> None:
    job = parse_config_xml(_freestyle("TZ=Europe/Paris\n30 2 * * *"), "config.xml", "paris")
    conv = convert_job(job, timezone="America/New_York")
    assert conv.pipeline.schedule.timezone == "Europe/Paris"  # type: ignore[union-attr]
    assert conv.pipeline.schedule.cron == ["30 2 * * *"]  # type: ignore[union-attr]
    [entry] = _cron_entries(conv)
    assert entry.outcome == "mapped" and "in Europe/Paris (the spec's TZ= line)" in entry.reason


def test_a_tz_line_after_a_comment_is_not_taken_as_the_zone_jenkins_refuses_the_spec() -> None:
    job = parse_config_xml(_freestyle("# nightly, Paris time\nTZ=Europe/Paris\n30 2 * * *"), "config.xml", "late")
    conv = convert_job(job)
    [entry] = _cron_entries(conv)
    assert entry.outcome == "placeholder" and "only allowed on the first line" in entry.reason
    assert conv.status != "converted" and (conv.pipeline is None or conv.pipeline.schedule is None
                                          or conv.pipeline.schedule.timezone != "Europe/Paris")


def test_the_default_zone_is_the_timezone_option_else_utc_with_a_note() -> None:
    job = parse_config_xml(_freestyle("30 2 * * *"), "config.xml", "plain")
    given = convert_job(job, timezone="Asia/Tokyo")
    assert given.pipeline.schedule.timezone == "Asia/Tokyo"  # type: ignore[union-attr]
    assert "--timezone" in _cron_entries(given)[0].reason
    assert not [d for d in given.diagnostics if "JVM" in d.message]
    default = convert_job(job)
    assert default.pipeline.schedule.timezone == "UTC"  # type: ignore[union-attr]
    [note] = [d for d in default.diagnostics if "JVM" in d.message]
    assert note.level == "info" and "--timezone" in note.message and str(note.span).startswith("config.xml:")
    assert default.status == "converted"


def test_triggers_in_two_zones_are_an_approximation_with_their_place() -> None:
    conv = convert_job(parse_config_xml(_freestyle("TZ=Europe/Paris\nH 2 * * *", "TZ=Asia/Tokyo\nH 3 * * *"),
                                        "config.xml", "zones"))
    assert conv.status == "partial"
    [approx] = conv.approximations
    assert approx.element == "trigger cron" and "Asia/Tokyo" in approx.reason and "Europe/Paris" in approx.reason
    assert str(approx.span) == "config.xml:2:1"  # the second TimerTrigger (the first spec holds a newline)


def test_a_loose_jenkinsfile_with_h_is_approximated_until_its_name_is_given(tmp_path: Path) -> None:
    path = _write(tmp_path, "H 2 * * *", "nightly.Jenkinsfile")
    guessed = convert_job(read_file(path), own_provided())
    assert guessed.status == "partial"
    [approx] = guessed.approximations
    assert approx.element == "trigger cron" and "--job-name" in approx.reason and "'nightly'" in approx.reason
    assert str(approx.span) == f"{path}:3:14"
    named = convert_estate(named_jobs(iter_jobs([str(path)]), "sales/nightly"), rules=own_provided()).conversions[0]
    assert named.job == "sales/nightly" and named.status == "converted", named.reasons
    assert named.pipeline.schedule.cron == resolve("H 2 * * *", "sales/nightly").cron  # type: ignore[union-attr]


def test_a_loose_jenkinsfile_without_h_needs_no_name(tmp_path: Path) -> None:
    conv = convert_job(read_file(_write(tmp_path, "15 2 * * *")), own_provided())
    assert conv.status == "converted" and conv.pipeline.schedule.cron == ["15 2 * * *"]  # type: ignore[union-attr]


def test_a_config_xml_inside_a_jenkins_home_gets_its_full_name(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(DATA_HOME, home)
    config = home / "jobs" / "team" / "jobs" / "pipe" / "config.xml"
    job = read_file(config)
    assert job.full_name == "team/pipe" and not job.name_guessed
    branch = read_file(home / "jobs" / "mb" / "branches" / "feature-x.k2vbnr" / "config.xml")
    assert branch.full_name == "mb/feature%2Fx" and not branch.name_guessed
    loose = tmp_path / "nightly.xml"
    loose.write_bytes(_freestyle("H 2 * * *"))
    guessed = read_file(loose)
    assert guessed.full_name == "nightly" and guessed.name_guessed
    assert convert_job(guessed).status == "partial"


def test_a_folder_given_as_source_keeps_the_folder_in_its_jobs_names(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(DATA_HOME, home)
    names = [job.full_name for job in iter_jobs([str(home / "jobs" / "team")])]
    assert names == ["team/pipe"]


def test_dry_run_and_audit_show_the_zone(tmp_path: Path) -> None:
    path = _write(tmp_path, "TZ=Europe/Paris\nH 2 * * *")
    dry = CliRunner().invoke(cli, ["dry-run", str(path), "--no-dag", "--job-name", "sales/nightly"])
    assert dry.exit_code == 0, dry.output
    cron = resolve("H 2 * * *", "sales/nightly").cron[0]
    assert f"# schedule: {cron} in Europe/Paris (the spec's TZ= line)" in dry.output
    plain = _write(tmp_path, "0 3 * * *", "plain.Jenkinsfile")
    tokyo = CliRunner().invoke(cli, ["dry-run", str(plain), "--no-dag", "--timezone", "Asia/Tokyo"])
    assert "# schedule: 0 3 * * * in Asia/Tokyo (Jenkins' default time zone, --timezone)" in tokyo.output
    audit = CliRunner().invoke(cli, ["audit", str(plain)])
    assert audit.exit_code == 0, audit.output
    assert "Schedules by time zone: UTC 1" in audit.output and "--timezone ZONE" in audit.output
    bad = CliRunner().invoke(cli, ["audit", str(plain), "--timezone", "Mars/Olympus"])
    assert bad.exit_code == 2 and "'Mars/Olympus' is not a time zone" in bad.output
    two = CliRunner().invoke(cli, ["dry-run", str(tmp_path), "--job-name", "x/y"])
    assert two.exit_code != 0 and "names one job, but the sources hold 2 jobs" in two.output


def test_a_disabled_job_is_paused_with_no_schedule_and_the_ledger_says_so(tmp_path: Path) -> None:
    conv = convert_case("schedule_disabled")
    assert conv.pipeline is not None and conv.pipeline.paused and conv.pipeline.schedule is None
    assert conv.status == "converted", conv.reasons  # a disabled job runs nothing: faithful
    by_element = {e.element: e for e in conv.ledger}
    assert "the Jenkins job is disabled: the DAG is created paused with no schedule" in by_element["disabled"].reason
    assert str(by_element["disabled"].span) == "schedule_disabled.config.xml:3:1"
    assert by_element["trigger cron"].outcome == by_element["trigger upstream"].outcome == "waived"
    report = EstateReport()
    assert report.add(conv).schedule == "paused: the Jenkins job is disabled"
    report.close()
    dry = CliRunner().invoke(cli, ["dry-run", str(GOLDEN / "schedule_disabled.config.xml"), "--no-dag"])
    assert "# schedule: none, paused: the Jenkins job is disabled" in dry.output
    enabled = convert_job(parse_config_xml((GOLDEN / "schedule_disabled.config.xml").read_bytes().replace(
        b"<disabled>true", b"<disabled>false"), "config.xml", "nightly"))
    assert enabled.pipeline is not None and not enabled.pipeline.paused and enabled.pipeline.schedule is not None
