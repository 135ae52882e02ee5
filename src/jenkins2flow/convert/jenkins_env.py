"""The environment a converted shell task can count on: Jenkins' own variables (set by the runtime for every task)
and the standard names of a POSIX shell and its process. Used by convert.lint to tell a bound `$NAME` from one
that would silently expand to nothing.

Jenkins' variables come from the runtime module that sets them (`jenkins2flow_runtime.jenkins_env`), so the lint
and the runtime never disagree. Two are set only for some tasks: STAGE_NAME for a task that comes from a stage (the
pipeline task's `stage`); JENKINS_URL, BUILD_URL and JOB_URL only when the deployment gives the runtime what they
are made of (the Jenkins URL, Airflow's `[api] base_url`), which the conversion cannot know: a use of one is flagged
(CONDITIONAL says why) and a Groovy read of one fails the task when it is unset, never reading null.
"""

from __future__ import annotations

from jenkins2flow_runtime import jenkins_env as runtime_env

# Set by the runtime for every task (jenkins2flow_runtime.jenkins_env is the one list), or from the run conf (a
# multibranch or git-triggered build's facts).
JENKINS_VARIABLES = frozenset((*runtime_env.JENKINS_VARIABLES, *runtime_env.SCM_VARIABLES))

STAGE_VARIABLES = frozenset(runtime_env.STAGE_VARIABLES)
# Set only when the run's deployment provides them (Jenkins' URL, Airflow's base URL): name -> why a use is flagged.
CONDITIONAL = runtime_env.CONFIGURED_VARIABLES

# What every POSIX shell (and bash) or its process environment defines.
SHELL_VARIABLES = frozenset({
    "HOME", "PATH", "PWD", "OLDPWD", "USER", "LOGNAME", "SHELL", "HOSTNAME", "LANG", "LANGUAGE", "LC_ALL",
    "LC_CTYPE", "TERM", "TMPDIR", "TZ", "IFS", "PS1", "PS2", "PS4", "RANDOM", "SRANDOM", "SECONDS", "LINENO", "UID",
    "EUID", "PPID", "BASHPID", "BASH", "BASH_VERSION", "BASH_SOURCE", "BASH_REMATCH", "BASH_LINENO", "FUNCNAME",
    "OSTYPE", "HOSTTYPE", "MACHTYPE", "PIPESTATUS", "REPLY", "OPTARG", "OPTIND", "OPTERR", "SHLVL", "COLUMNS",
    "LINES", "DIRSTACK", "GROUPS", "EPOCHSECONDS", "EPOCHREALTIME", "_",
})
