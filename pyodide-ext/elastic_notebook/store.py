"""Checkpoints in a content-addressed store (IndexedDB in the browser): ``idb://NAME``.

A checkpoint goes into a store as its *frame* (the file's header and everything from the
manifest on) and its chunks, each under its blake3, straight from the serializer: no file
is written. The core's store writer (``CheckpointWriter.forStore``) hashes each chunk and
lays the checkpoint out exactly as its file would be. Chunks the store already holds are
not written again, so a second checkpoint of a session adds only the groups that changed.
A checkpoint becomes visible in one transaction, which writes its record only after
checking that all its chunks are there; a failed or interrupted checkpoint (a full quota,
a closed tab) leaves every earlier one as it was, and what it stored is deleted (at once,
or by a later checkpoint once a closed tab's claims are stale).

Every record is kept: a NAME points at its latest checkpoint, and any checkpoint restores
by its id (the root hash, or a prefix of at least `MIN_ID_PREFIX` hex digits). A restore
opens the frame (header, manifest and root checked) and reads chunks from the store as it
loads them, checking each before use. An export puts the file back together (header,
chunks in order, the rest of the frame) and verifies it as any file.

The store itself is the host's (`CheckpointStore`); this module is independent of it.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypedDict, cast

from elastic_notebook.checkpoint import CheckpointError
from elastic_notebook.core import open_checkpoint
from elastic_notebook.progress import counted

if TYPE_CHECKING:
    from elastic_notebook.core import CheckpointReaderHandle, StoreWriterHandle

#: How `%checkpoint` and `%restore` name a store target.
STORE_SCHEME = "idb://"
#: Names of stored sessions: letters, digits, ``.``, ``_``, ``-``.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
#: The shortest id prefix a checkpoint can be named by.
MIN_ID_PREFIX = 8
#: Chunks read from the store per round trip (8 MiB each by default: 64 MiB).
CHUNKS_PER_READ = 8


class StoreRecord(TypedDict):
    """One checkpoint in a store, as the store keeps it (chunks apart)."""

    #: The root hash (hex): the checkpoint's identity.
    id: str
    #: The name it was stored under.
    name: str
    createdUnixMs: int
    storedUnixMs: int
    parent: str | None
    fileBytes: int
    #: Bytes of chunks this checkpoint added to the store (the rest were there).
    newBytes: int
    #: The frame: the file's first 16 bytes, and its bytes from the manifest on.
    head: bytes
    tail: bytes
    #: The chunks' hashes and lengths, in file order.
    chunks: list[str]
    chunkBytes: list[int]


class UnfinishedCheckpoint(TypedDict):
    """A checkpoint being stored, or left unfinished by a tab closed mid-checkpoint."""

    #: Chunks it put, and their bytes.
    chunks: int
    bytes: int
    #: When it put its newest chunk, and from when a checkpoint deletes them if no newer
    #: one comes (ms since the epoch).
    newestUnixMs: int
    sweptFromUnixMs: int


class CheckpointStore(Protocol):
    """A content-addressed store of checkpoints (``_pyodide.IndexedDbStore``)."""

    def checkpoint_writer(self, name: str) -> StoreWriterHandle:
        """A writer whose `finish` commits its checkpoint under `name`, atomically.

        The record becomes visible in one transaction, with all its chunks; `abort` (or
        any failure) deletes what it stored and leaves every earlier checkpoint.
        """
        ...

    def checkpoint_reader(self, record: StoreRecord) -> CheckpointReaderHandle:
        """Opens a stored checkpoint from its frame (header, manifest and root checked).

        Blobs are read from the store when asked for, each chunk checked first.
        """
        ...

    def records(self) -> list[StoreRecord]:
        """Every checkpoint in the store, oldest first."""
        ...

    def unfinished(self) -> list[UnfinishedCheckpoint]:
        """The checkpoints being stored or left unfinished (the chunks they hold)."""
        ...

    def remove(self, ids: list[str]) -> int:
        """Deletes the checkpoints `ids` in one transaction; returns the bytes freed.

        Their records go, and the chunks no other checkpoint names; a name that pointed
        at one points at its newest remaining checkpoint, or goes.
        """
        ...

    def latest(self, name: str) -> str | None:
        """The id of the checkpoint `name` points at, if any."""
        ...

    def record(self, checkpoint_id: str) -> StoreRecord | None:
        """The record of the checkpoint `checkpoint_id` (a whole id), if the store holds it."""
        ...

    def chunks(self, hashes: list[str]) -> list[bytes]:
        """The bytes stored under each of `hashes`; raises if one is not there."""
        ...


@dataclass(frozen=True)
class StoreTarget:
    """``idb://NAME``: a name in the browser's checkpoint store."""

    name: str

    def __str__(self) -> str:
        """As the user wrote it."""
        return f"{STORE_SCHEME}{self.name}"


def parse_target(text: str | os.PathLike[str]) -> Path | StoreTarget:
    """A file path, or a store target for ``idb://NAME``; raises for a bad name."""
    if isinstance(text, str) and text.startswith(STORE_SCHEME):
        name = text[len(STORE_SCHEME) :]
        if not _NAME.match(name):
            raise CheckpointError(
                f"bad checkpoint name {name!r} in {text}: use letters, digits, '.', '_' "
                "and '-' (at most 128), starting with a letter or digit"
            )
        return StoreTarget(name)
    return Path(text)


@cache
def browser_store() -> CheckpointStore:
    """The browser's store (IndexedDB); raises `CheckpointError` outside a browser kernel."""
    if sys.platform != "emscripten":
        raise CheckpointError(
            "idb:// names the browser's checkpoint store (IndexedDB), which this Python "
            "does not have: write a file instead (%checkpoint PATH); a .ckpt file from the "
            "browser restores here too"
        )
    from elastic_notebook import _pyodide
    from elastic_notebook.core import backend

    return _pyodide.IndexedDbStore(cast("_pyodide.WasmCore", backend()))


@dataclass(frozen=True)
class Deleted:
    """What deleting from a store did."""

    records: list[StoreRecord]
    freed_bytes: int

    def __str__(self) -> str:
        """The line ``%checkpoints --delete`` prints."""
        ids = ", ".join(record["id"][:12] for record in self.records)
        return (
            f"elastic-notebook: deleted {len(self.records)} checkpoint"
            f"{'' if len(self.records) == 1 else 's'} ({ids}), freed "
            f"{self.freed_bytes / 1e6:,.2f} MB"
        )


def delete(store: CheckpointStore, reference: str) -> Deleted:
    """Deletes every checkpoint under the name `reference`, or the one its id names.

    The chunks no remaining checkpoint shares go with them.
    """
    records = store.records()
    named = [record for record in records if record["name"] == reference]
    doomed = named or [find(store, reference, records)]
    return Deleted(doomed, store.remove([record["id"] for record in doomed]))


def find(
    store: CheckpointStore, reference: str, records: list[StoreRecord] | None = None
) -> StoreRecord:
    """The checkpoint `reference` names: a stored name's latest, or an id (prefix).

    `records`: the store's records, if the caller has just read them. A name is looked up
    alone; every record (each with its frame) is read only for an id prefix or an error.
    """
    wanted = store.latest(reference)
    if wanted is not None and records is None:
        named = store.record(wanted)
        if named is not None:
            return named
    if records is None:
        records = store.records()
    if wanted is None and len(reference) >= MIN_ID_PREFIX and re.fullmatch(r"[0-9a-f]+", reference):
        matches = {r["id"] for r in records if r["id"].startswith(reference)}
        if len(matches) > 1:
            raise CheckpointError(f"{STORE_SCHEME}{reference} names {len(matches)} checkpoints")
        wanted = next(iter(matches), None)
    for record in records:
        if record["id"] == wanted:
            return record
    names = sorted({r["name"] for r in records})
    raise CheckpointError(
        f"no checkpoint {STORE_SCHEME}{reference} in this browser's store"
        + (f" (stored names: {', '.join(names)})" if names else " (it is empty)")
    )


def write_file(store: CheckpointStore, record: StoreRecord, path: Path) -> None:
    """Puts `record`'s file back together at `path`, atomically, and verifies it.

    A temp file beside `path` is written, verified and renamed over it: a missing or
    damaged chunk raises `CheckpointError` and leaves any previous file at `path`.
    """
    directory = path.parent if str(path.parent) else Path(".")
    handle, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(record["head"])
            order = record["chunks"]
            # A few chunks per round trip: bounded memory, few waits on IndexedDB.
            for start in range(0, len(order), CHUNKS_PER_READ):
                for piece in store.chunks(order[start : start + CHUNKS_PER_READ]):
                    file.write(piece)
            file.write(record["tail"])
        try:
            open_checkpoint(temp).verify()
        except (OSError, ValueError) as error:
            raise CheckpointError(
                f"{STORE_SCHEME}{record['name']} ({record['id'][:12]}) is damaged in the "
                f"store: {error}"
            ) from error
        temp.replace(path)
    finally:
        temp.unlink(missing_ok=True)


def usage(records: list[StoreRecord]) -> int:
    """Bytes the store holds for `records`: every distinct chunk once, and each frame."""
    chunks: dict[str, int] = {}
    frames = 0
    for record in records:
        frames += len(record["head"]) + len(record["tail"])
        chunks.update(zip(record["chunks"], record["chunkBytes"], strict=True))
    return frames + sum(chunks.values())


def describe(records: list[StoreRecord], unfinished: list[UnfinishedCheckpoint]) -> str:
    """What ``%checkpoints`` prints: every stored checkpoint, newest first.

    And the space unfinished checkpoints hold, which a checkpoint frees once they are
    stale (a tab closed mid-checkpoint), or their own commit makes part of a checkpoint.
    """
    lines = _describe_records(records)
    held = unfinished_space(unfinished)
    if held is not None:
        lines.append(f"elastic-notebook: also {held}")
    return "\n".join(lines)


def unfinished_space(unfinished: list[UnfinishedCheckpoint]) -> str | None:
    """The space unfinished checkpoints hold and from when a checkpoint frees it, if any."""
    if not unfinished:
        return None
    held = sum(u["bytes"] for u in unfinished)
    swept = time.strftime(
        "%H:%M:%S", time.gmtime(max(u["sweptFromUnixMs"] for u in unfinished) / 1000)
    )
    return (
        f"{held / 1e6:,.2f} MB held by {counted(len(unfinished), 'unfinished checkpoint')} "
        "(being stored in another tab, or left by a tab closed mid-checkpoint): a "
        f"checkpoint taken after {swept} UTC frees what no checkpoint finished since"
    )


def _describe_records(records: list[StoreRecord]) -> list[str]:
    if not records:
        return ["elastic-notebook: no checkpoints in this browser's store"]
    lines = [
        f"elastic-notebook: {len(records)} checkpoints, {usage(records) / 1e6:,.2f} MB "
        "in this browser's store (newest first)",
        f"  {'id':12}  {'name':16} {'created (UTC)':19}  {'size':>10}  {'new':>10}  parent",
    ]
    by_time = sorted(records, key=lambda r: r["storedUnixMs"])
    latest = {record["name"]: record["id"] for record in by_time}
    for record in reversed(by_time):
        created = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(record["createdUnixMs"] / 1000))
        mark = "*" if latest[record["name"]] == record["id"] else " "
        lines.append(
            f"{mark} {record['id'][:12]}  {record['name'][:16]:16} {created:19}  "
            f"{record['fileBytes'] / 1e6:8,.2f} MB  {record['newBytes'] / 1e6:8,.2f} MB  "
            f"{(record['parent'] or '-')[:12]}"
        )
    lines.append("(* the latest of its name; restore any by its id: %restore idb://ID)")
    return lines
