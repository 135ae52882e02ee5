"""The kinds of the Jenkins credentials an estate holds (id -> kind), never their secrets.

Jenkins' declarative `environment { F = credentials('id') }` binds a credential by its kind
(pipeline-model-definition's CredentialsBindingHandler): the converter needs the kind, which only the credential
stores say. Two stores are read:

| store | file | holds |
|---|---|---|
| system (SystemCredentialsProvider) | `JENKINS_HOME/credentials.xml` | `domainCredentialsMap/entry`: one per domain |
| folder (FolderCredentialsProvider) | a folder's (or multibranch's) `config.xml` | the same map under
  `properties/...FolderCredentialsProvider_-FolderCredentialsProperty` |

Each credential is an element named by its class (XStream: `$` written `_-`), with `<id>` and `<scope>`; only the
class's simple name and the id are kept: the secret, encrypted or not, is never read into a value. A SYSTEM-scoped
credential of the system store is for Jenkins itself, not for jobs (the credentials plugin's SYSTEM scope), so it
is left out. Domains do not matter: `credentials('id')` asks for no domain.

A job resolves an id as Jenkins' CredentialsProvider does: its folders' stores first, the nearest folder first, then
the system store (`CredentialKinds.kind`). Every document is read with the project's safe XML reader.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from jenkins2flow.parse.job_xml import safe_fromstring

FOLDER_PROPERTY = b"FolderCredentialsProperty"  # in a folder's config.xml: the folder holds credentials

# a credential's class (simple name) -> the kind the converter binds; classes not named here are kept by class name
KINDS = {
    "StringCredentialsImpl": "string",  # plain-credentials: secret text
    "UsernamePasswordCredentialsImpl": "usernamePassword",  # credentials
    "GitHubAppCredentials": "usernamePassword",  # github-branch-source: a StandardUsernamePasswordCredentials
    "FileCredentialsImpl": "file",  # plain-credentials: secret file
    "BasicSSHUserPrivateKey": "sshUserPrivateKey",  # ssh-credentials
    "CertificateCredentialsImpl": "certificate",  # credentials: PKCS#12 keystore
    "AWSCredentialsImpl": "aws",  # aws-credentials
}


def class_kind(tag: str) -> str:
    """The kind of a credential element's class (`...plaincredentials.impl.FileCredentialsImpl` -> `file`)."""
    simple = tag.replace("_-", "$").rsplit(".", 1)[-1].rsplit("$", 1)[-1]
    return KINDS.get(simple, simple)


def read_kinds(data: bytes, path: str, *, system: bool = False) -> dict[str, str]:
    """id -> kind of the credentials a `credentials.xml` (`system`) or a folder's `config.xml` holds; {} when the
    document cannot be read (it is then as if it held none: the kinds stay unknown, which the converter says)."""
    root, _notes = safe_fromstring(data, path)
    if root is None:
        return {}
    maps = [root] if system else [p for p in root.iterfind("properties/*")
                                  if isinstance(p.tag, str) and p.tag.endswith("FolderCredentialsProperty")]
    kinds: dict[str, str] = {}
    for store in maps:
        for entry in store.iterfind("domainCredentialsMap/entry"):
            for listing in list(entry)[1:2]:  # the entry's key is the domain, its value the list of credentials
                for cred in listing:
                    if not isinstance(cred.tag, str):
                        continue
                    cred_id = (cred.findtext("id") or "").strip()
                    if not cred_id or (system and (cred.findtext("scope") or "").strip() == "SYSTEM"):
                        continue
                    kinds.setdefault(cred_id, class_kind(cred.tag))  # Jenkins takes the first of an id
    return kinds


def home_of(source: str | os.PathLike[str]) -> Path | None:
    """The JENKINS_HOME a source lies in (the home itself, its `jobs/` folder, or a folder job inside it), when it
    holds a `credentials.xml`."""
    path = Path(source)
    if path.name == "jobs":
        path = path.parent
    while path.parent.name == "jobs":  # jobs/A/jobs/B -> the home above
        path = path.parent.parent
    return path if (path / "credentials.xml").is_file() else None


@dataclass
class CredentialKinds:
    """The estate's credential kinds by store: "" for the system store, a folder's full name for its own."""

    stores: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, folder: str, kinds: dict[str, str]) -> None:
        if kinds:
            self.stores.setdefault(folder, {}).update({k: v for k, v in kinds.items()
                                                       if k not in self.stores.get(folder, {})})

    def read_system(self, sources: list[str]) -> None:
        """The system store of each JENKINS_HOME among `sources` (read once per home)."""
        for home in dict.fromkeys(h for s in sources if not str(s).startswith(("http://", "https://"))
                                  and (h := home_of(s)) is not None):
            path = home / "credentials.xml"
            try:
                self.add("", read_kinds(path.read_bytes(), str(path), system=True))
            except OSError:
                continue

    def peek(self, full_name: str, path: str, data: bytes) -> None:
        """A job's bytes on the way (a first look): a folder holding credentials adds its store."""
        if FOLDER_PROPERTY in data or b"\x00" in data[:512]:  # UTF-16 bytes do not show the name as is
            self.add(full_name, read_kinds(data, path))

    def kind(self, job: str, credentials_id: str) -> str:
        """The kind Jenkins binds for `credentials_id` in job `job` (its folders first, the nearest first, then the
        system store); "" when no store read holds it."""
        parts = job.strip("/").split("/")[:-1]
        for depth in range(len(parts), -1, -1):
            found = self.stores.get("/".join(parts[:depth]), {}).get(credentials_id)
            if found:
                return found
        return ""


__all__ = ["KINDS", "CredentialKinds", "class_kind", "home_of", "read_kinds"]
