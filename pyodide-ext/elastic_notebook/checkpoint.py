"""Typed results and errors of the core's checkpoint operations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from elastic_notebook._core import VerifyReportDict


class SessionError(Exception):
    """An error of checkpoint or restore whose message says all a user needs."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback: the message says it all."""
        return [f"{type(self).__name__}: {self}"]


class CheckpointError(SessionError):
    """A checkpoint could not be written; any previous file at the path is untouched."""


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What a full verification of a ``.ckpt`` file checked."""

    #: The root hash (hex): the checkpoint's identity.
    root: str
    #: The file's length in bytes.
    file_len: int
    #: Chunks verified.
    chunks: int
    #: Blob bytes verified.
    blob_bytes: int

    @classmethod
    def from_dict(cls, data: VerifyReportDict) -> VerifyReport:
        """Builds it from the core's dict."""
        return cls(
            root=data["root"],
            file_len=int(data["fileLen"]),
            chunks=int(data["chunks"]),
            blob_bytes=int(data["blobBytes"]),
        )
