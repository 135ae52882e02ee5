"""Jenkins' `sshagent(credentials: [...]) { ... }` (and the SSH Agent build wrapper) for a task: an ssh-agent of
the task's own, holding the keys, for the time of its command; SSH_AUTH_SOCK and SSH_AGENT_PID point at it, as in
Jenkins. The keys come from the task's secrets (Airflow connections, read at run time) and reach ssh-add on its
standard input: never a file, an argument or a log line. The agent is stopped and its folder removed afterwards,
whatever the command did."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

START_SECONDS = 10.0
VARIABLES = frozenset({"SSH_AUTH_SOCK", "SSH_AGENT_PID"})  # what the agent sets for the command, as in Jenkins


class SshAgentError(RuntimeError):
    pass


def _tools() -> tuple[str, str]:
    agent, add = shutil.which("ssh-agent"), shutil.which("ssh-add")
    if agent is None or add is None:
        raise SshAgentError("The task runs inside Jenkins' sshagent, which needs ssh-agent and ssh-add on the "
                            "worker (package openssh-client), and they are not installed.")
    return agent, add


@contextmanager
def ssh_agent(keys: Sequence[str], env: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """An ssh-agent holding `keys` (private keys in OpenSSH or PEM form) while the block runs; yields the
    variables (SSH_AUTH_SOCK, SSH_AGENT_PID) that make ssh, git and scp use it."""
    agent_bin, add_bin = _tools()
    folder = tempfile.mkdtemp(prefix="j2f-ssh-")
    sock = os.path.join(folder, "agent.sock")
    proc = subprocess.Popen([agent_bin, "-D", "-a", sock], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not os.path.exists(sock):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SshAgentError(f"ssh-agent did not start ({(proc.stderr.read() if proc.stderr else b'')!r}).")
            time.sleep(0.02)
        agent_env = {"SSH_AUTH_SOCK": sock, "SSH_AGENT_PID": str(proc.pid)}
        for number, key in enumerate(keys, start=1):
            text = key.replace("\r\n", "\n").strip() + "\n"
            done = subprocess.run([add_bin, "-q", "-"], input=text, text=True, capture_output=True,
                                  env={**env, **agent_env, "SSH_ASKPASS": "", "DISPLAY": ""}, timeout=30)
            if done.returncode != 0:
                reason = " ".join(done.stderr.split())[:300]
                raise SshAgentError(f"ssh-add refused key {number} of {len(keys)} ({reason}); a key with a "
                                    "passphrase cannot be loaded without one.")
        yield agent_env
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
        shutil.rmtree(folder, ignore_errors=True)
