"""Git checkouts -> a task that fetches the commit into the run's workspace, as Jenkins' Git plugin does
(`git init`, fetch the branch, `git checkout -f`), with the credentials by reference.

What a checkout names: `checkout scm` and a declarative pipeline's implicit checkout (the job's own repository:
its config.xml SCM, or a multibranch branch's), `checkout([$class: 'GitSCM', ...])` / `checkout scmGit(...)`,
`git url: ...` and a freestyle job's <scm>. A checkout of the job's own repository is waived only when mappings
`scm.provided` says the runtime provides its files (the DAG bundle or the task image puts them in the workspace);
any other repository is always fetched. The job's repository, when a Jenkinsfile comes alone, is `scm.own`.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from jenkins2flow.convert.context import Ctx, Scope
from jenkins2flow.convert.handlers.credentials import agent_keys
from jenkins2flow.convert.values import text
from jenkins2flow.ir import Job, Scm, Span, Step, XmlNode

GIT_SCM = "GitSCM"
USER_ENV, PASSWORD_ENV = "JENKINS2FLOW_GIT_USER", "JENKINS2FLOW_GIT_PASSWORD"
# git asks this helper for https credentials; it reads the two variables at run time (no value is written anywhere)
HELPER = ("credential.helper=!f() { test \"$1\" = get && printf 'username=%s\\npassword=%s\\n' "
          f'"${USER_ENV}" "${PASSWORD_ENV}"; }}; f')
_SHA = re.compile(r"^[0-9a-f]{40}$")
_PARAM = re.compile(r"^\$\{?(?:params\.|env\.)?([A-Za-z_]\w*)\}?$")


@dataclass(frozen=True, slots=True)
class Checkout:
    """One Git checkout: remote URL, branch specs, credentials id, extensions as (kind, fields)."""

    url: str
    branches: tuple[str, ...] = ()
    credentials: str = ""
    extensions: tuple[tuple[str, dict[str, Any]], ...] = ()
    local_branch: str = ""  # `git` step: checks out the branch by name (LocalBranch)
    own: bool = False  # the job's own repository


def normalize(url: str) -> str:
    """A remote URL compared with another: no trailing slash or `.git`, case kept."""
    url = url.strip().rstrip("/")
    return url[:-4] if url.endswith(".git") else url


# ---- reading checkouts ------------------------------------------------------------------------------------------


def from_scm(scm: Scm | None) -> Checkout | None:
    """A config.xml Git SCM (a freestyle job's, a pipeline's from SCM) as a Checkout; None when it is not Git."""
    if scm is None or scm.kind != "git" or not scm.url:
        return None
    raw = scm.raw.find("extensions") if scm.raw is not None else None
    extensions = tuple((c.tag.rsplit(".", 1)[-1], _xml_fields(c)) for c in (raw.children if raw else ()))
    return Checkout(scm.url, scm.branches, scm.credentials_id, extensions)


def _xml_fields(node: XmlNode) -> dict[str, Any]:
    return {c.tag: c.text.strip() for c in node.children if not c.children}


def own_scm(job: Job) -> Checkout | None:
    """The job's own repository: its config.xml Git SCM, or a multibranch branch's (BranchJobProperty)."""
    found = from_scm(job.scm)
    if found is not None:
        return replace(found, own=True)
    for prop in job.properties:
        if prop.cls.endswith("BranchJobProperty") and prop.raw is not None:
            branch = prop.raw.find("branch")
            scm = branch.find("scm") if branch is not None else None
            head = branch.find("head") if branch is not None else None
            if scm is not None and dict(scm.attrs).get("class", "").endswith(GIT_SCM):
                remote = scm.find("userRemoteConfigs")
                first = remote.children[0] if remote is not None and remote.children else None
                name = head.findtext("name").strip() if head is not None else ""
                if first is not None and first.findtext("url").strip():
                    ext = scm.find("extensions")
                    return Checkout(first.findtext("url").strip(), (name,) if name else (),
                                    first.findtext("credentialsId").strip(),
                                    tuple((c.tag.rsplit(".", 1)[-1], _xml_fields(c)) for c in
                                          (ext.children if ext is not None else ())), own=True)
    return None


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, tuple | list) else [] if value is None else [value]


def _extension(value: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(value, Step):
        return value.name, {k: v for k, v in value.kwargs}
    if isinstance(value, dict):
        return str(value.get("$class", "")).rsplit(".", 1)[-1], {k: v for k, v in value.items() if k != "$class"}
    return text(value), {}


def from_groovy(value: Any) -> Checkout | None:
    """`[$class: 'GitSCM', userRemoteConfigs: [[url: ...]], ...]` or `scmGit(...)`; None when it is no Git SCM."""
    if isinstance(value, Step) and value.name in ("scmGit", "git"):
        fields: dict[str, Any] = dict(value.kwargs)
    elif isinstance(value, dict) and str(value.get("$class", "")).rsplit(".", 1)[-1] == GIT_SCM:
        fields = dict(value)
    else:
        return None
    remotes = [r for r in _items(fields.get("userRemoteConfigs")) if isinstance(r, dict)]
    if not remotes or not isinstance(remotes[0].get("url"), str):
        return None
    branches = tuple(text(b.get("name", "")) if isinstance(b, dict) else text(b)
                     for b in _items(fields.get("branches")))
    return Checkout(remotes[0]["url"], branches, text(remotes[0].get("credentialsId", "")),
                    tuple(_extension(e) for e in _items(fields.get("extensions"))))


# ---- what a checkout becomes ------------------------------------------------------------------------------------


@dataclass
class Plan:
    """The shell lines of a checkout, built from its extensions; `notes` are approximations, `waived` the
    extensions that need nothing here (with why)."""

    target: str = ""
    fetch: list[str] = field(default_factory=lambda: ["--tags"])
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    local_branch: str = ""
    notes: list[str] = field(default_factory=list)
    waived: list[tuple[str, str]] = field(default_factory=list)


def _flag(value: Any) -> bool:
    return value is True or text(value).strip().lower() == "true"


def _clone_option(f: dict[str, Any], plan: Plan) -> None:
    depth = text(f.get("depth", "")).strip()
    if _flag(f.get("shallow")):
        plan.fetch.append(f"--depth={int(depth) if depth.isdigit() and int(depth) > 0 else 1}")
    if _flag(f.get("noTags")):
        plan.fetch[0] = "--no-tags"
    if text(f.get("reference", "")).strip():
        plan.waived.append(("CloneOption reference", "a reference repository only saves download time"))


def _target(f: dict[str, Any], plan: Plan) -> None:
    plan.target = text(f.get("relativeTargetDir", "")).strip()
    if plan.target:
        plan.notes.append(f"Jenkins' Git plugin sets GIT_COMMIT, GIT_BRANCH and GIT_URL for a checkout into "
                          f"{plan.target!r} too; the runtime reads them from a checkout at the workspace root only: "
                          "the later tasks see them unset (`git -C DIR rev-parse HEAD` reads the commit)")


def _local_branch(f: dict[str, Any], plan: Plan) -> None:
    plan.local_branch = text(f.get("localBranch", "")).strip() or "**"


def _clean(f: dict[str, Any], plan: Plan) -> None:
    plan.after.append("git clean -fdx -q")


def _wipe(f: dict[str, Any], plan: Plan) -> None:
    plan.before.append("find . -mindepth 1 -delete")


def _submodules(f: dict[str, Any], plan: Plan) -> None:
    if _flag(f.get("disableSubmodules")):
        return
    depth = text(f.get("depth", "")).strip()
    opts = (" --recursive" if _flag(f.get("recursiveSubmodules")) else "") + (
        f" --depth={depth}" if _flag(f.get("shallow")) and depth.isdigit() else "")
    plan.after.append(f"git submodule update --init{opts}")


def _identity(f: dict[str, Any], plan: Plan) -> None:
    for key, name in (("name", "user.name"), ("email", "user.email")):
        if text(f.get(key, "")).strip():
            plan.after.append(f"git config {name} {shlex.quote(text(f[key]).strip())}")


def _lfs(f: dict[str, Any], plan: Plan) -> None:
    plan.after.append("git lfs pull")


# extension (class short name or pipeline symbol) -> how it changes the fetch, or the reason it needs nothing
EXTENSIONS: dict[str, Callable[[dict[str, Any], Plan], None] | str] = {
    "CloneOption": _clone_option, "cloneOption": _clone_option,
    "RelativeTargetDirectory": _target, "relativeTargetDirectory": _target,
    "LocalBranch": _local_branch, "localBranch": _local_branch,
    "CleanBeforeCheckout": _clean, "cleanBeforeCheckout": _clean, "CleanCheckout": _clean,
    "cleanAfterCheckout": _clean, "WipeWorkspace": _wipe, "wipeWorkspace": _wipe,
    "SubmoduleOption": _submodules, "submodule": _submodules, "UserIdentity": _identity, "userIdentity": _identity,
    "GitLFSPull": _lfs, "lfs": _lfs,
    "PruneStaleBranch": "every run fetches afresh", "pruneStaleBranch": "every run fetches afresh",
    "PruneStaleTag": "every run fetches afresh", "pruneTags": "every run fetches afresh",
    "CheckoutOption": "a checkout timeout (the task has its own)", "checkoutOption": "a checkout timeout",
    "AuthorInChangelog": "changelogs are Jenkins-side", "authorInChangelog": "changelogs are Jenkins-side",
    "ChangelogToBranch": "changelogs are Jenkins-side", "changelogToBranch": "changelogs are Jenkins-side",
    "PathRestriction": "polling is Jenkins-side", "UserExclusion": "polling is Jenkins-side",
    "MessageExclusion": "polling is Jenkins-side", "DisableRemotePoll": "polling is Jenkins-side",
    "IgnoreNotifyCommit": "push notifications are Jenkins-side", "ScmName": "a name for Jenkins' UI",
    "PerBuildTag": "a tag in the Jenkins workspace only", "BuildSingleRevisionOnly": "each run builds one revision",
}


def _branch(spec: str, plan: Plan) -> tuple[str, str]:
    """(the shell lines' branch variable setup, the refspec to fetch) for one Jenkins branch spec."""
    spec = spec.strip()
    param = _PARAM.match(spec)
    if param:  # chosen at run time: the parameter's value, as Jenkins expands it, in its */ or origin/ forms too
        name = param.group(1)
        return f'BRANCH="${{{name}}}"; BRANCH="${{BRANCH#\\*/}}"; BRANCH="${{BRANCH#origin/}}"; ' \
               'BRANCH="${BRANCH#refs/heads/}"', '"+refs/heads/$BRANCH:refs/remotes/origin/$BRANCH"'
    for prefix in ("refs/heads/", "*/", "origin/", "remotes/origin/"):
        spec = spec.removeprefix(prefix)
    if spec.startswith("refs/tags/"):
        return "", shlex.quote(f"+{spec}:{spec}")
    if _SHA.match(spec):
        return "", spec
    if not spec or spec.startswith(":") or any(c in spec for c in "*?[$"):
        plan.notes.append(f"branch spec {spec or '**'!r} picks a branch in Jenkins (the newest matching one); the "
                          "task fetches the remote's default branch (HEAD)")
        return "", "HEAD"
    return "", shlex.quote(f"+refs/heads/{spec}:refs/remotes/origin/{spec}")


def plan_of(co: Checkout) -> Plan:
    plan = Plan(local_branch=co.local_branch)
    for kind, fields in co.extensions:
        how = EXTENSIONS.get(kind)
        if how is None:
            plan.notes.append(f"Git extension {kind} is not applied")
        elif isinstance(how, str):
            plan.waived.append((kind, how))
        else:
            how(fields, plan)
    return plan


def script_of(co: Checkout, plan: Plan) -> str:
    """The checkout as shell lines: init, fetch of the branch, forced checkout, then the extensions' lines."""
    branches = [b for b in co.branches if b.strip()] or [""]
    if len(branches) > 1:
        plan.notes.append(f"{len(branches)} branch specs: Jenkins builds one of them; the task fetches the first, "
                          f"{branches[0]!r}")
    setup, refspec = _branch(branches[0], plan)
    lines = [f"mkdir -p -- {shlex.quote(plan.target)} && cd -- {shlex.quote(plan.target)}"] if plan.target else []
    lines += plan.before + ["git init -q", f"git config remote.origin.url {shlex.quote(co.url)}",
                            "git config remote.origin.fetch '+refs/heads/*:refs/remotes/origin/*'"]
    if setup:
        lines.append(setup)
    auth = f"-c {shlex.quote(HELPER)} " if co.credentials and not _is_ssh(co.url) else ""
    lines.append(f"git {auth}fetch {' '.join(plan.fetch)} --force origin {refspec}")
    local = plan.local_branch
    if local:
        name = "$BRANCH" if setup else (branches[0].split("/")[-1] if local == "**" else local)
        lines.append(f'git checkout -q -f -B "{name}" FETCH_HEAD' if setup
                     else f"git checkout -q -f -B {shlex.quote(name)} FETCH_HEAD")
    else:
        lines.append("git checkout -q -f FETCH_HEAD")
    return "\n".join(lines + plan.after)


def _is_ssh(url: str) -> bool:
    return url.startswith("ssh://") or bool(re.match(r"^[\w.-]+@[\w.-]+:", url))


def provided(url: str, ctx: Ctx) -> str | None:
    """The reason mappings `scm.provided` gives for a repository whose files the runtime provides, if any."""
    for pattern, reason in (ctx.rules.table("scm").get("provided") or {}).items():
        if fnmatch.fnmatchcase(normalize(url), normalize(str(pattern))):
            return f"{reason} (mappings scm.provided[{pattern!r}])"
    return None


def own_of(ctx: Ctx) -> Checkout | None:
    """The job's own repository: its SCM, else mappings `scm.own` (for a Jenkinsfile given alone)."""
    found = own_scm(ctx.job)
    if found is not None:
        return found
    rule = ctx.rules.table("scm").get("own") or {}
    if rule.get("url"):
        branch = str(rule.get("branch", ""))
        return Checkout(str(rule["url"]), (branch,) if branch else (), str(rule.get("credentials", "")), own=True)
    return None


def is_own(co: Checkout, ctx: Ctx) -> Checkout:
    """`co` marked as the job's own repository when its URL is the job's."""
    own = own_scm(ctx.job)
    return replace(co, own=True) if own is not None and normalize(own.url) == normalize(co.url) else co


Emit = Callable[[Ctx, Scope, str], None]


def checkout(co: Checkout, span: Span, ctx: Ctx, scope: Scope, element: str, key: str, emit: Emit) -> None:
    """Waive the job's own repository when the runtime provides it, else emit the fetch task (through `emit`, the
    shell emitter) with the credentials by reference, and record what its extensions became."""
    reason = provided(co.url, ctx) if co.own else None
    if reason is not None:
        ctx.waived(element, span, reason, key)
        return
    plan = plan_of(co)
    script = script_of(co, plan)
    for kind, why in plan.waived:
        ctx.waived(f"{element} {kind}", span, why, key)
    for note in plan.notes:
        ctx.approximated(element, span, note, key)
    if co.credentials:
        if _is_ssh(co.url):
            scope = agent_keys([co.credentials], Step(key, span), ctx, scope)
        else:
            scope = scope.with_secrets(ctx.credential(co.credentials, "git", [USER_ENV, PASSWORD_ENV], "connection",
                                                      span, ["login", "password"]))
    emit(ctx, scope, script)


def checkout_own(span: Span, ctx: Ctx, scope: Scope, element: str, key: str, emit: Emit) -> None:
    """A checkout of the job's own repository (`checkout scm`, declarative's implicit checkout): fetched, or waived
    when the runtime provides it; unknown (a Jenkinsfile given alone, no `scm.own`): flagged with the rule to add."""
    own = own_of(ctx)
    if own is not None:
        checkout(own, span, ctx, scope, element, key, emit)
        return
    reason = (ctx.rules.table("scm").get("own") or {}).get("provided")
    if reason:
        ctx.waived(element, span, f"{reason} (mappings scm.own.provided)", key)
        return
    ctx.approximated(element, span, "the job's own repository is unknown here (a Jenkinsfile given alone): the tasks "
                     "run without its files. Convert the job's config.xml, or say in a --mappings file where they "
                     "come from: `scm: {own: {url: URL, branch: BRANCH, credentials: ID}}`, or "
                     "`scm: {own: {provided: \"why the runtime has the files\"}}`", key)


def job_checkout(job: Job, ctx: Ctx, scope: Scope, emit_for: Callable[[Step, str], Emit]) -> None:
    """A config.xml job's <scm>: a freestyle, Maven or matrix job checks it out before its build steps; a
    pipeline's SCM holds its Jenkinsfile, whose files reach the workspace by `checkout scm` only."""
    scm = job.scm
    if scm is None:
        return
    if job.kind in ("pipeline", "multibranch"):
        ctx.mapped("scm", scm.span, "scm", "the SCM of the Jenkinsfile: its files reach the workspace by `checkout "
                   "scm` or the declarative checkout, converted where they are")
        return
    if scm.kind == "none":
        ctx.mapped("scm", scm.span, "scm", "no source checkout, as in Jenkins")
        return
    co = from_scm(scm)
    cls = dict(scm.raw.attrs).get("class", scm.kind) if scm.raw is not None else scm.kind
    if co is None:
        ctx.placeholder("scm", scm.span, f"a {cls} checkout: only Git checkouts are fetched outside Jenkins", scope,
                        key=cls)
        return
    checkout(replace(co, own=True), scm.span, ctx, replace(scope, stage="checkout"), f"scm {cls}", "scm",
             emit_for(Step("scm", scm.span), f"scm {cls}"))


def declarative_checkout(job: Job, ctx: Ctx, scope: Scope, emit_for: Callable[[Step, str], Emit]) -> None:
    """Declarative's implicit `checkout scm` before the stages of a Jenkinsfile from SCM (unless
    `skipDefaultCheckout`), into `checkoutToSubdirectory`'s folder when set. A Jenkinsfile given alone is a file of
    its repository, so Jenkins runs it from SCM and checks that repository out: the same path as an explicit
    `checkout scm` (`scm.own` in --mappings fetches or waives it; unknown, it is flagged with the rule to add)."""
    options = {o.name: o for o in job.options}
    if job.flavor != "declarative" or "skipDefaultCheckout" in options and options["skipDefaultCheckout"].args != (
            False,):
        return
    agents = [job.agent] + [st.agent for st in job.stages]
    if not any(a is not None and a.kind != "none" for a in agents):
        return
    span = job.agent.span if job.agent is not None and job.agent.span else job.span
    if job.root_tag != "Jenkinsfile" and (job.scm is None or not job.scm.script_path):
        return  # a config.xml's inline script: no SCM, no implicit checkout
    sub = options.get("checkoutToSubdirectory")
    target = text(sub.args[0]) if sub is not None and sub.args else ""
    if target:
        scope = replace(scope, cwd=f"{scope.cwd}/{target}" if scope.cwd else target)
    # declarative runs it in a stage of its own (pipeline-model-definition's SyntheticStageNames)
    inner = replace(scope, stage="checkout", stage_name="Declarative: Checkout SCM")
    checkout_own(span, ctx, inner, "declarative checkout", "checkout",
                 emit_for(Step("checkout", span), "declarative checkout"))
