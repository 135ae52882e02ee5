"""What a user may do with a document: the role gives the action, a pipeline's team and owners narrow it."""

from __future__ import annotations

from typing import Literal

from jenkins2flow_runtime.model import Document, PipelineSpec
from jenkins2flow_runtime.ui.auth import User

Action = Literal["view", "edit", "publish"]
NEEDS: dict[str, str] = {"view": "viewer", "edit": "editor", "publish": "publisher"}
VERBS = {"edit": "edit", "publish": "publish, retire or roll back"}


class Denied(Exception):
    """The user may not do this; the message says why and who may."""


def restricted_to(spec: object) -> tuple[str, tuple[str, ...]]:
    """A pipeline's team and owners ("", () when anyone with the role may act on it)."""
    if isinstance(spec, PipelineSpec):
        return spec.team, tuple(spec.owners)
    return "", ()


def may(user: User, action: Action, doc: Document | None = None) -> bool:
    try:
        check(user, action, doc)
    except Denied:
        return False
    return True


def check(user: User, action: Action, doc: Document | None = None) -> None:
    """Raise Denied unless `user` may do `action` on `doc` (None: on a new document, or in general)."""
    role = NEEDS[action]
    if not user.at_least(role):
        raise Denied(f"{user.name!r} is a {user.role}: to {VERBS.get(action, action)} you need the {role} role.")
    if doc is None or action == "view" or user.at_least("admin"):
        return
    team, owners = restricted_to(doc.spec)
    if not team and not owners:
        return
    if user.name in owners or (team and team in user.teams):
        return
    who = " or ".join(filter(None, [f"team {team!r}" if team else "", f"owners {', '.join(owners)}" if owners else ""]))
    raise Denied(f"{doc.kind} {doc.name!r} belongs to {who}: {user.name!r} may not {VERBS[action]} it "
                 "(an admin may).")


def check_save(user: User, current: Document | None, new: Document) -> None:
    """Saving needs the editor role on the stored document and on the new one (no moving a pipeline to a team you
    are not in, or taking it from its team)."""
    check(user, "edit", current)
    check(user, "edit", new)
