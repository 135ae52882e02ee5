"""Credential kinds read from a JENKINS_HOME (sources.credentials): id -> kind from credentials.xml and folder stores,
never a secret, resolved as Jenkins resolves a job's `credentials('id')` (its folders first, then the system)."""

from __future__ import annotations

from pathlib import Path

from jenkins2flow.estate_service import EstateService
from jenkins2flow.sources.credentials import CredentialKinds, home_of, read_kinds

HOME = Path(__file__).parent / "data" / "credential_home"
SECRETS = ("AQAAABAAAAAQ", "AKIAIOSFODNN7EXAMPLE", "loader", "deployer", "gcp.json", "shared.cfg")


def test_the_system_store_gives_each_id_its_kind_in_every_domain_but_not_system_scoped_ones() -> None:
    kinds = read_kinds((HOME / "credentials.xml").read_bytes(), "credentials.xml", system=True)
    assert kinds == {"api-token": "string", "warehouse-db": "usernamePassword", "gcp-key": "file",
                     "deploy-ssh": "sshUserPrivateKey", "shared": "string", "signing-cert": "certificate",
                     "aws-prod": "aws"}  # agent-only is SYSTEM-scoped: Jenkins' jobs cannot use it
    assert not any(s in repr(kinds) for s in SECRETS)


def test_a_folder_store_is_read_from_its_config_xml_and_a_job_sees_its_folder_first() -> None:
    assert read_kinds((HOME / "jobs/team/config.xml").read_bytes(), "config.xml") == {"shared": "file"}
    assert read_kinds((HOME / "jobs/team/jobs/etl/config.xml").read_bytes(), "config.xml") == {}
    kinds = CredentialKinds({"": {"shared": "string", "x": "file"}, "team": {"shared": "file"},
                             "team/sub": {"x": "string"}})
    assert kinds.kind("team/etl", "shared") == "file"  # the folder's own, over the system's
    assert kinds.kind("top", "shared") == "string"
    assert kinds.kind("team/sub/job", "x") == "string" and kinds.kind("team/job", "x") == "file"
    assert kinds.kind("team/etl", "missing") == ""


def test_unreadable_or_hostile_stores_give_no_kind() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    assert read_kinds(bomb, "credentials.xml", system=True) == {}  # the safe reader refuses a DTD
    assert read_kinds(b"<not closed", "credentials.xml", system=True) == {}


def test_the_home_of_a_source_is_found_from_the_home_its_jobs_folder_or_a_folder_in_it() -> None:
    for source in (HOME, HOME / "jobs", HOME / "jobs/team", HOME / "jobs/team/jobs/etl"):
        assert home_of(source) == HOME
    assert home_of(HOME.parent) is None


def test_the_first_look_collects_the_system_store_and_the_folder_stores() -> None:
    links = EstateService([str(HOME)]).look()
    assert links.credentials.kind("team/etl", "shared") == "file"
    assert links.credentials.kind("top", "shared") == "string"
    assert links.credentials.kind("team/etl", "agent-only") == ""
    assert not any(s in repr(links.credentials) for s in SECRETS)
