"""Source control: `<scm>`, the scm of a CpsScmFlowDefinition, multibranch branch sources and organization-folder
navigators -> `Scm`. Git is read field by field; every other SCM keeps its class and raw element."""

from __future__ import annotations

from jenkins2flow.ir.nodes import Scm
from jenkins2flow.parse.xml.common import Ctx, Element, child, child_text, elements, first_children

GIT_SCM = "hudson.plugins.git.GitSCM"


def parse_scm(el: Element, ctx: Ctx, script_path: str = "") -> Scm:
    cls = el.get("class") or el.tag
    span = ctx.span(el)
    if cls == "hudson.scm.NullSCM":
        return Scm("none", span, script_path=script_path, raw=ctx.raw(el))
    if cls == GIT_SCM:
        lists: dict[str, list[Element]] = {"userRemoteConfigs": [], "branches": []}
        for c in el[:]:  # one walk for `el.iterfind("userRemoteConfigs/*")` and `el.iterfind("branches/*")`
            found = lists.get(c.tag)
            if found is not None:
                found += [g for g in c[:] if g.tag.__class__ is str]
        remotes = lists["userRemoteConfigs"]
        remote = first_children(remotes[0]) if remotes else {}
        url = (remote["url"].text or "").strip() if "url" in remote else ""
        cred = (remote["credentialsId"].text or "").strip() if "credentialsId" in remote else ""
        branches = tuple(child_text(b, "name").strip() for b in lists["branches"])
        if len(remotes) > 1:
            ctx.report("info", f"Git SCM has {len(remotes)} remotes; the first ({url!r}) is the job's URL.", el)
        return Scm("git", span, url=url, branches=branches, credentials_id=cred, script_path=script_path,
                   raw=ctx.raw(el))
    if cls == "org.jenkinsci.plugins.multiplescms.MultiSCM":
        inner = child(el, "scms")
        first = next(iter(elements(inner)), None) if inner is not None else None
        if first is not None and first.tag == GIT_SCM:
            git = parse_scm(first, ctx, script_path)
            return Scm("other", span, url=git.url, branches=git.branches, credentials_id=git.credentials_id,
                       script_path=script_path, raw=ctx.raw(el))
        return Scm("other", span, script_path=script_path, raw=ctx.raw(el))
    url = ""
    if cls == "hudson.scm.SubversionSCM":
        url = (el.findtext("locations/hudson.scm.SubversionSCM_-ModuleLocation/remote") or "").strip()
    return Scm("other", span, url=url, script_path=script_path, raw=ctx.raw(el))


def parse_branch_source(el: Element, ctx: Ctx, script_path: str = "") -> Scm:
    """A `source` of a multibranch BranchSource (or a navigator): git-based ones become kind "git" with a URL."""
    cls = el.get("class") or el.tag
    span = ctx.span(el)
    cred = child_text(el, "credentialsId").strip()
    owner, repo = child_text(el, "repoOwner").strip(), child_text(el, "repository").strip()
    url = ""
    if cls.endswith("GitSCMSource") or cls.endswith("GerritSCMSource"):
        url = child_text(el, "remote").strip()
    elif cls.endswith("GitHubSCMSource"):
        url = child_text(el, "repositoryUrl").strip()
        if not url and owner and repo:
            api = child_text(el, "apiUri").strip()
            host = "https://github.com" if not api else api.replace("/api/v3", "").rstrip("/")
            url = f"{host}/{owner}/{repo}.git"
    elif cls.endswith("BitbucketSCMSource"):
        server = child_text(el, "serverUrl").strip() or "https://bitbucket.org"
        url = f"{server.rstrip('/')}/{owner}/{repo}.git" if owner and repo else ""
    elif cls.endswith("GitLabSCMSource"):
        path = child_text(el, "projectPath").strip()
        url = path  # the server URL lives in Jenkins' global config, not here
    if cls.endswith("SCMNavigator"):
        return Scm("other", span, url=url or owner, credentials_id=cred, script_path=script_path, raw=ctx.raw(el))
    kind = "git" if url else "other"
    return Scm(kind, span, url=url, credentials_id=cred, script_path=script_path, raw=ctx.raw(el))
