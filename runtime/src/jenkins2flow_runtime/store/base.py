"""The store interface shared by both backends."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable

from jenkins2flow_runtime.model import Document, Kind


class StoreError(Exception):
    """Any store failure a user can act on."""


class NotFoundError(StoreError):
    pass


class ConflictError(StoreError):
    """A save whose expected version is not the latest one."""


class Store(ABC):
    @abstractmethod
    def save(
        self, doc: Document, *, by: str = "", comment: str = "", expected_version: int | None = None
    ) -> Document:
        """Store `doc` as a new version when its spec changed; return the stored (new or unchanged) document."""

    @abstractmethod
    def save_many(self, docs: Iterable[Document], *, by: str = "", comment: str = "") -> list[Document]:
        """Save many documents in one transaction / round trip."""

    @abstractmethod
    def get(self, kind: Kind, name: str, version: int | str = "latest") -> Document:
        """A version number, "latest" or "published"."""

    @abstractmethod
    def list(self, kind: Kind | None = None, status: str | None = None) -> list[Document]:
        """The latest version of every document, optionally filtered."""

    @abstractmethod
    def history(self, kind: Kind, name: str) -> list[Document]:
        """Every version, oldest first."""

    @abstractmethod
    def publish(self, kind: Kind, name: str, version: int | None = None, *, by: str = "", comment: str = "") -> Document:
        """Mark a version (default: latest) published; the previously published one becomes draft."""

    @abstractmethod
    def published(self, kind: Kind) -> list[Document]:
        """The published version of every document of `kind`."""

    def close(self) -> None:  # noqa: B027 - optional for backends
        pass

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
