"""The environment a converted shell task can count on: Jenkins' own variables (set by the runtime for every task)
and the standard names of a POSIX shell and its process. Used by convert.lint to tell a bound `$NAME` from one
that would silently expand to nothing.

Jenkins' variables come from the runtime module that sets them (`jenkins2flow_runtime.jenkins_env`), so the lint
and the runtime never disagree. Two are set only for some tasks: STAGE_NAME for a task that comes from a stage (the
pipeline task's `stage`), and JENKINS_URL only when the runtime knows a Jenkins (the worker's JENKINS_URL or the
JENKINS2FLOW_JENKINS_CONN connection), which the conversion cannot know: a use of it is flagged (CONDITIONAL says
why) and a Groovy read of it fails the task when it is unset, never reading null.
"""

from __future__ import annotations

from jenkins2flow_runtime import jenkins_env as runtime_env

# Set by the runtime for every task (jenkins2flow_runtime.jenkins_env is the one list): always, when Airflow's base
# URL is known, or from the run conf (a multibranch or git-triggered build's facts).
JENKINS_VARIABLES = frozenset((*runtime_env.JENKINS_VARIABLES, *runtime_env.URL_VARIABLES, *runtime_env.SCM_VARIABLES))

STAGE_VARIABLES = frozenset(runtime_env.STAGE_VARIABLES)
# Set only when the run's deployment provides them: name -> why a use is flagged.
CONDITIONAL = {
    "JENKINS_URL": "the runtime sets JENKINS_URL only when it knows the Jenkins URL (JENKINS_URL in the workers' "
                   f"environment or the {runtime_env.JENKINS_CONN_VARIABLE} connection); without it the value is "
                   "unset",
}

# What every POSIX shell (and bash) or its process environment defines.
SHELL_VARIABLES = frozenset({
    "HOME", "PATH", "PWD", "OLDPWD", "USER", "LOGNAME", "SHELL", "HOSTNAME", "LANG", "LANGUAGE", "LC_ALL",
    "LC_CTYPE", "TERM", "TMPDIR", "TZ", "IFS", "PS1", "PS2", "PS4", "RANDOM", "SRANDOM", "SECONDS", "LINENO", "UID",
    "EUID", "PPID", "BASHPID", "BASH", "BASH_VERSION", "BASH_SOURCE", "BASH_REMATCH", "BASH_LINENO", "FUNCNAME",
    "OSTYPE", "HOSTTYPE", "MACHTYPE", "PIPESTATUS", "REPLY", "OPTARG", "OPTIND", "OPTERR", "SHLVL", "COLUMNS",
    "LINES", "DIRSTACK", "GROUPS", "EPOCHSECONDS", "EPOCHREALTIME", "_",
})
