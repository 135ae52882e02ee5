"""The environment a converted shell task can count on: Jenkins' own variables (set by the runtime for every task)
and the standard names of a POSIX shell and its process. Used by convert.lint to tell a bound `$NAME` from one
that would silently expand to nothing.

One list in one place. The runtime module that sets Jenkins' variables for every task
(`jenkins2flow_runtime.jenkins_env`: JENKINS_VARIABLES, URL_VARIABLES, SCM_VARIABLES) is meant to become the
source of JENKINS_VARIABLES once it is merged; until then the names below mirror it, plus JENKINS_URL.
"""

from __future__ import annotations

JENKINS_VARIABLES = frozenset({
    # set for every task
    "BUILD_NUMBER", "BUILD_ID", "BUILD_DISPLAY_NAME", "BUILD_TAG", "JOB_NAME", "JOB_BASE_NAME", "JOB_DISPLAY_NAME",
    "WORKSPACE", "NODE_NAME", "NODE_LABELS", "EXECUTOR_NUMBER",
    # set when Airflow's base URL is known
    "BUILD_URL", "JOB_URL", "JENKINS_URL",
    # a multibranch or git-triggered build's facts, from the run conf or the worker's environment
    "BRANCH_NAME", "BRANCH_IS_PRIMARY", "GIT_LOCAL_BRANCH", "TAG_NAME", "TAG_TIMESTAMP", "TAG_UNIXTIME", "TAG_DATE",
    "CHANGE_ID", "CHANGE_URL", "CHANGE_TITLE", "CHANGE_AUTHOR", "CHANGE_AUTHOR_DISPLAY_NAME", "CHANGE_AUTHOR_EMAIL",
    "CHANGE_TARGET", "CHANGE_BRANCH", "CHANGE_FORK", "GIT_COMMIT", "GIT_PREVIOUS_COMMIT",
    "GIT_PREVIOUS_SUCCESSFUL_COMMIT", "GIT_BRANCH", "GIT_URL", "GIT_COMMITTER_NAME", "GIT_AUTHOR_NAME",
    "GIT_COMMITTER_EMAIL", "GIT_AUTHOR_EMAIL",
})

# What every POSIX shell (and bash) or its process environment defines.
SHELL_VARIABLES = frozenset({
    "HOME", "PATH", "PWD", "OLDPWD", "USER", "LOGNAME", "SHELL", "HOSTNAME", "LANG", "LANGUAGE", "LC_ALL",
    "LC_CTYPE", "TERM", "TMPDIR", "TZ", "IFS", "PS1", "PS2", "PS4", "RANDOM", "SRANDOM", "SECONDS", "LINENO", "UID",
    "EUID", "PPID", "BASHPID", "BASH", "BASH_VERSION", "BASH_SOURCE", "BASH_REMATCH", "BASH_LINENO", "FUNCNAME",
    "OSTYPE", "HOSTTYPE", "MACHTYPE", "PIPESTATUS", "REPLY", "OPTARG", "OPTIND", "OPTERR", "SHLVL", "COLUMNS",
    "LINES", "DIRSTACK", "GROUPS", "EPOCHSECONDS", "EPOCHREALTIME", "_",
})
