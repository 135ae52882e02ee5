"""The environment a converted shell task can count on: Jenkins' own variables (set by the runtime for every task)
and the standard names of a POSIX shell and its process. Used by convert.lint to tell a bound `$NAME` from one
that would silently expand to nothing.

Jenkins' variables come from the runtime module that sets them (`jenkins2flow_runtime.jenkins_env`), so the lint
and the runtime never disagree. JENKINS_URL is not among them: nothing sets it in Airflow.
"""

from __future__ import annotations

from jenkins2flow_runtime import jenkins_env as runtime_env

# Set by the runtime for every task (jenkins2flow_runtime.jenkins_env is the one list): always, when Airflow's base
# URL is known, or from the run conf (a multibranch or git-triggered build's facts).
JENKINS_VARIABLES = frozenset((*runtime_env.JENKINS_VARIABLES, *runtime_env.URL_VARIABLES, *runtime_env.SCM_VARIABLES))

# What every POSIX shell (and bash) or its process environment defines.
SHELL_VARIABLES = frozenset({
    "HOME", "PATH", "PWD", "OLDPWD", "USER", "LOGNAME", "SHELL", "HOSTNAME", "LANG", "LANGUAGE", "LC_ALL",
    "LC_CTYPE", "TERM", "TMPDIR", "TZ", "IFS", "PS1", "PS2", "PS4", "RANDOM", "SRANDOM", "SECONDS", "LINENO", "UID",
    "EUID", "PPID", "BASHPID", "BASH", "BASH_VERSION", "BASH_SOURCE", "BASH_REMATCH", "BASH_LINENO", "FUNCNAME",
    "OSTYPE", "HOSTTYPE", "MACHTYPE", "PIPESTATUS", "REPLY", "OPTARG", "OPTIND", "OPTERR", "SHLVL", "COLUMNS",
    "LINES", "DIRSTACK", "GROUPS", "EPOCHSECONDS", "EPOCHREALTIME", "_",
})
