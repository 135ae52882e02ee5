"""Post conditions (pipeline and stage `post {}`), by the rules in mappings `post:` (see docs/post-conditions.md).

A rule waives the block, or its first key found in KINDS says how the block converts (`gate`: a post_gate task
decides against the previous run; `placeholder`: only the block's notifications convert); any other rule runs the
block's steps after a gate task that runs them on the rule's `runs_on` (always, success, failure) when the stage was
entered (convert.regions). Notification steps written directly in a block of the pipeline's post carry the rule's
`notify_on` (callbacks when the run ends), unless a failure to send fails the Jenkins build (`mail`, slackSend
failOnError: a callback cannot fail the run); those, and those in a stage's post or nested deeper, are tasks after
the block's gate like its other steps (convert.handlers.notifications). The blocks run one after the other in
Jenkins' order (ORDER: always, changed, fixed, regression, aborted, failure, success, unstable, unsuccessful,
cleanup), whatever the order they are written in: each gate also waits for the tasks of the blocks before it, and
judges them with the body (a block that failed makes the result FAILURE for the blocks after it, as in Jenkins).
`last: true` blocks (cleanup) run after every other block.
An end task after the blocks fails when the body or a block failed, as Jenkins fails the stage (or build) after
running its post blocks, so what follows depends on it with all_success.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from jenkins2flow.convert import regions
from jenkins2flow.convert.context import RUNTIME, Ctx, Scope
from jenkins2flow.convert.handlers import notifications
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.walker import walk
from jenkins2flow.ir import PostBlock, Step

# (block, rule, ctx, scope, body_end, post_ends, entry) -> the tasks that end the block, added to post_ends
Kind = Callable[[PostBlock, Rule, Ctx, Scope, list[str], list[str], str], list[str]]
# the trigger rules older rules give -> when the block runs (`runs_on`)
RUNS_ON = {"all_done": "always", "all_success": "success", "one_failed": "failure"}
# Jenkins runs a post section's blocks one after the other in this order, whatever the order they are written in
ORDER = ("always", "changed", "fixed", "regression", "aborted", "failure", "success", "unstable", "unsuccessful",
         "cleanup")


def _notifies(step: Step, ctx: Ctx, scope: Scope) -> bool:
    """A notification step the pipeline sends when the run ends (a callback): in a block of the pipeline's post,
    unless a failure to send fails the Jenkins build (`mail`, slackSend failOnError): a callback cannot fail the
    run, so that one is a task of the block like its other steps."""
    rule = ctx.rules.rule("steps", step.name)
    return (bool(ctx.notify_on) and rule is not None and rule.handler == "notify"
            and notifications.fails_build(step, rule, scope) is False)


def _block_scope(block: PostBlock, scope: Scope, judged: list[str]) -> Scope:
    """The scope of a block's steps; `judged`: the tasks its gate judges, whose failure made Jenkins' build result
    FAILURE when the block runs (a step that reads the result, such as archiveArtifacts, asks them)."""
    return replace(scope, stage=scope.stage or "post", id_suffix=f"_post_{block.condition}",
                   result_tasks=tuple(judged))


def _gated(block: PostBlock, rule: Rule, ctx: Ctx, scope: Scope, body_end: list[str], post_ends: list[str],
           entry: str) -> list[str]:
    """changed/fixed/regression: a `post_gate` task (all_done after the body) skips the block's tasks unless the
    condition holds against the previous completed run; the block's notifications carry the condition."""
    condition = str(rule.get("gate"))
    notes = [s for s in block.steps if _notifies(s, ctx, scope)]
    first_note = len(ctx.notifications)
    ctx.frontier = _outcome(body_end, post_ends)  # after the blocks before it
    ends: list[str] = []
    sc = _block_scope(block, scope, _outcome(body_end, post_ends))
    if len(notes) < len(block.steps):
        spec = {"type": "python", "callable": f"{RUNTIME}:post_gate",
                "description": "Runs a Jenkins post changed/fixed/regression block only when the condition holds "
                               "against the previous completed run (skips it otherwise)."}
        ctx.emit("airflow.post-gate", spec, sc, label="gate", named=True, trigger_rule="all_done",
                 bindings={"post_condition": condition, "body_tasks": _outcome(body_end, post_ends),
                           **({"entry_task": entry} if entry else {})})
        walk(block.steps, ctx, sc)  # after the gate with all_success: a skipped gate skips them
        ends = list(ctx.frontier)
    else:
        walk(block.steps, ctx, sc)
    ctx.notifications[first_note:] = [n.model_copy(update={"condition": condition})
                                      for n in ctx.notifications[first_note:]]
    ctx.notify_on = ""
    ctx.frontier = list(body_end)
    ctx.mapped(f"post {block.condition}", block.span, "post", str(rule.get("note") or "a post_gate task"))
    _unless_unstable(block, rule, ctx)
    return ends


def _unless_unstable(block: PostBlock, rule: Rule, ctx: Ctx) -> None:
    """The rule's `unless_unstable`: the block's entry, just recorded, holds only in a job that nothing can make
    UNSTABLE; with a source (junit, catchError buildResult UNSTABLE...) it is flagged saying this (convert.unstable)."""
    if rule.get("unless_unstable"):
        ctx.unless_unstable(str(rule.get("unless_unstable")), f"post {block.condition}", block.span,
                            f"post {block.condition}")


def _outcome(body_end: list[str], post_ends: list[str]) -> list[str]:
    """The tasks whose outcome a block's gate judges: the body's, then the blocks' before it (a step failing in
    `always` makes Jenkins' result FAILURE: `failure` then runs and `success` does not)."""
    return [*body_end, *(t for t in post_ends if t not in body_end)]


def _placeholder(block: PostBlock, rule: Rule, ctx: Ctx, scope: Scope, *_: object) -> list[str]:
    """A condition Airflow cannot express: its notifications convert, anything else is a placeholder."""
    notes = [s for s in block.steps if _notifies(s, ctx, scope)]
    for s in notes:
        walk((s,), ctx, scope)
    rest = [s for s in block.steps if s not in notes]
    if rest:
        ctx.placeholder(f"post {block.condition}", block.span, str(rule.get("placeholder")), scope,
                        key=f"post {block.condition}", fallback=False)
    else:
        ctx.mapped(f"post {block.condition}", block.span, "post", str(rule.get("placeholder")))
    ctx.notify_on = ""
    return []


def _run(block: PostBlock, rule: Rule, ctx: Ctx, scope: Scope, body_end: list[str], post_ends: list[str],
         entry: str) -> list[str]:
    """The block's steps after a gate that runs them on the rule's `runs_on` when the stage was entered; after the
    blocks before it (Jenkins' order), all of them when `last`."""
    runs_on = str(rule.get("runs_on") or RUNS_ON.get(str(rule.get("trigger_rule", "all_done")), ""))
    if runs_on not in ("always", "success", "failure"):
        given = runs_on or rule.get("trigger_rule")
        ctx.placeholder(f"post {block.condition}", block.span, f"the rule's runs_on {given!r} is not always, success "
                        "or failure", scope, key=f"post {block.condition}", fallback=False)
        return []
    sc = _block_scope(block, scope, _outcome(body_end, post_ends))
    after = post_ends
    ctx.frontier = list(body_end)
    gate = regions.gate(ctx, sc, runs_on, entry, _outcome(body_end, post_ends), f"post {block.condition}", "gate",
                        results=True, after=after)
    before = len(ctx.tasks)
    walk(block.steps, ctx, sc)
    ctx.notify_on = ""
    ends = [t for t in ctx.frontier if t not in post_ends]
    if len(ctx.tasks) == before:  # notifications only: no task, no gate
        regions.remove_task(ctx, gate)
        ends = []
    what = f"runs on {runs_on}" + (f"; {rule.get('note')}" if rule.get("note") else "")
    if rule.get("approximate"):
        ctx.approximated(f"post {block.condition}", block.span, f"{what}; {rule.get('approximate')}",
                         f"post {block.condition}")
    else:
        ctx.mapped(f"post {block.condition}", block.span, "post", what)
    _unless_unstable(block, rule, ctx)
    return ends


# rule key -> how the block converts, the first key the rule has; a rule with none of them: _run
KINDS: dict[str, Kind] = {"gate": _gated, "placeholder": _placeholder}


def _last(block: PostBlock, ctx: Ctx) -> bool:
    rule = ctx.rules.rule("post", block.condition)
    return rule is not None and bool(rule.get("last"))


def _rank(block: PostBlock) -> int:
    """Where Jenkins runs the block among the others (a condition it does not know: after them, in source order)."""
    return ORDER.index(block.condition) if block.condition in ORDER else len(ORDER)


def post(blocks: tuple[PostBlock, ...], ctx: Ctx, scope: Scope, start: list[str], entry: str = "", *,
         pipeline: bool = False) -> None:
    """Post conditions: each block's steps run after the body (after a gate that decides on the condition), then an
    end task that fails when the body or a block failed. Cleanup runs last. `entry`: the task whose success means
    the stage ran (none: the pipeline's post, which always runs). `pipeline`: the pipeline's post, whose own
    notification steps become callbacks; a stage's are tasks after the gate."""
    body_end = list(ctx.frontier)
    if not body_end:
        body_end = list(start)
    rule_after = (ctx.pending_rule, ctx.after_conditional)  # as the body left them (e.g. after an `if`)
    post_ends: list[str] = []
    for block in sorted(blocks, key=lambda b: (_last(b, ctx), _rank(b))):
        ctx.at = block.span
        rule = ctx.rules.rule("post", block.condition)
        if rule is None:
            ctx.placeholder(f"post {block.condition}", block.span,
                            ctx.rules.unknown("post", block.condition, "post condition"), scope,
                            key=f"post {block.condition}", fallback=False)
            continue
        if rule.waive:
            ctx.waived(f"post {block.condition}", block.span, rule.waive, f"post {block.condition}")
            _unless_unstable(block, rule, ctx)
            continue
        ctx.notify_on = str(rule.get("notify_on", "always")) if pipeline else ""
        ctx.notify_depth = len(ctx.body_ends) + 1  # the walker's depth of the block's own steps
        kind = next((fn for name, fn in KINDS.items() if rule.get(name)), _run)
        post_ends += kind(block, rule, ctx, scope, body_end, post_ends, entry)
    ctx.frontier = list(body_end)
    if not post_ends:  # no block runs a task: what follows waits for the body as it would without post
        ctx.pending_rule, ctx.after_conditional = rule_after
    else:
        regions.end(ctx, scope, entry, body_end, "none", [], post_ends, f"post of {scope.stage or 'the pipeline'}")
        if scope.matrix:
            ctx.approximated("post", blocks[0].span, "inside a matrix a post block runs in every cell when any cell's "
                             "stage ended as the block wants (Jenkins decides per cell)", "post")
