"""Jenkins' file bindings for a task: `file(credentialsId:, variable:)` and sshUserPrivateKey's `keyFileVariable`
set the variable to the path of a temporary file holding the secret, never to the secret.

As the credentials-binding plugin does (AbstractOnDiskBinding, UnbindableDir): a folder of its own, with a random
name, under `<WORKSPACE>@tmp/secretFiles` (both 0700), one file in it per variable (`file<random>.tmp`, read-only for
the task's user: 0400), the secret's text written as is (a private key followed by a newline, as Jenkins writes
it). The folder and its files are removed when the block ends, whatever the command did. Neither the secret nor
the file's path is logged.

A task killed outright (SIGKILL, the OOM killer) cannot remove its folder. Each folder is named by the host and
holds a lock while its task runs (a `.lock` file beside it, flock: the kernel releases it when the process dies,
however it dies); the next task of this host to bind files in the workspace (a retry, a later task of the run)
removes the folders of this host whose lock no process holds. Another host's folders are left alone (a shared
workspace: its processes are not seen from here)."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FOLDER = "secretFiles"  # Jenkins' name, under the workspace's @tmp folder
LOCK = ".lock"  # beside a task's folder: held while the task runs

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: nothing is locked, nothing left is removed
    fcntl = None  # type: ignore[assignment]


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
    _remove_left(base)
    lock, lock_path = _hold(base)  # locked before its folder exists: no other task removes a folder in use
    folder = lock_path.with_name(lock_path.name[:-len(LOCK)])
    folder.mkdir(mode=0o700)  # a name no other task gets (the lock's, which is unique)
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
        lock_path.unlink(missing_ok=True)
        os.close(lock)


def _host_prefix() -> str:
    host = "".join(c if c.isalnum() or c in "-." else "_" for c in socket.gethostname())[:64]
    return f"{host or 'host'}-"


def _hold(base: Path) -> tuple[int, Path]:
    """A new lock file in `base` (this host's prefix, a unique name), locked by this process where there is flock."""
    fd, path = tempfile.mkstemp(prefix=_host_prefix(), suffix=LOCK, dir=base)  # 0600, created here
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
    return fd, Path(path)


def _remove_left(base: Path) -> None:
    """Remove the folders this host's killed tasks left in `base`: those whose lock no process holds."""
    if fcntl is None:
        return
    prefix = _host_prefix()
    for lock_path in base.glob(f"{prefix}*{LOCK}"):
        try:
            fd = os.open(lock_path, os.O_WRONLY)
        except OSError:  # removed meanwhile by another task
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # its task is running
            os.close(fd)
            continue
        try:
            _remove(base / lock_path.name[:-len(LOCK)])
            lock_path.unlink(missing_ok=True)
        finally:
            os.close(fd)


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
