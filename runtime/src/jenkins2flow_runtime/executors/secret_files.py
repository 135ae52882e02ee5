"""Jenkins' file bindings for a task: `file(credentialsId:, variable:)` and sshUserPrivateKey's `keyFileVariable`
set the variable to the path of a temporary file holding the secret, never to the secret.

As the credentials-binding plugin does (AbstractOnDiskBinding, UnbindableDir): a folder of its own, with a random
name, under `<WORKSPACE>@tmp/secretFiles` (both 0700), one file in it per variable (`file<random>.tmp`, read-only for
the task's user: 0400), the secret's text written as is (a private key followed by a newline, as Jenkins writes
it). The folder and its files are removed when the block ends, whatever the command did. Neither the secret nor
the file's path is logged."""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FOLDER = "secretFiles"  # Jenkins' name, under the workspace's @tmp folder


def file_text(ref: Mapping[str, Any], value: str) -> str:
    """What Jenkins writes for the reference: a private key ends with a newline, anything else is copied as is."""
    return value + "\n" if ref.get("field") == "private_key" else value


@contextmanager
def secret_files(texts: Mapping[str, str], workspace_tmp: Path) -> Iterator[dict[str, str]]:
    """Writes each text (variable name -> the secret's text) to a file of its own while the block runs; yields
    variable name -> the file's path."""
    if not texts:
        yield {}
        return
    base = workspace_tmp / FOLDER
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o700)
    folder = Path(tempfile.mkdtemp(dir=base))  # 0700, a name no other task gets
    try:
        paths: dict[str, str] = {}
        for name, text in texts.items():
            fd, path = tempfile.mkstemp(prefix="file", suffix=".tmp", dir=folder)  # 0600, created here
            with os.fdopen(fd, "wb") as fh:
                fh.write(text.encode("utf-8"))
            os.chmod(path, 0o400)
            paths[name] = path
        yield paths
    finally:
        _remove(folder)


def _remove(folder: Path) -> None:
    """Remove the folder and whatever the command left in it, even where it took its own permissions away."""

    def writable_then_retry(func: Any, path: str, _exc: Any) -> None:
        parent = os.path.dirname(path)
        os.chmod(parent, stat.S_IRWXU)
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, stat.S_IRWXU)
        func(path)

    if not folder.exists():
        return
    if sys.version_info >= (3, 12):
        shutil.rmtree(folder, onexc=writable_then_retry)
    else:
        shutil.rmtree(folder, onerror=writable_then_retry)
