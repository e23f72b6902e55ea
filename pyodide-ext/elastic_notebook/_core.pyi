# Types of the native module `elastic_notebook._core` (src/python/). Private: use
# `elastic_notebook.core`. The dicts are the core's serde shapes, the same the wasm module
# returns to Pyodide (js/src/types.ts).

from collections.abc import Iterable, Iterator
from os import PathLike
from typing import Literal, NotRequired, TypedDict

from typing_extensions import Buffer

class ParseErrorDict(TypedDict):
    message: str
    line: int
    column: int

class NamedCallDict(TypedDict):
    callee: list[str]
    seeded: bool

class DefinitionDict(TypedDict):
    name: str
    kind: Literal["function", "class", "lambda"]
    reads: list[str]
    globalWrites: list[str]
    calls: list[str]
    dynamic: bool
    maybeUnreproducibleCalls: list[NamedCallDict]

class CellAnalysisDict(TypedDict):
    parseError: ParseErrorDict | None
    reads: list[str]
    binds: list[str]
    deletes: list[str]
    imports: list[str]
    starImports: list[str]
    definitions: list[DefinitionDict]
    calls: list[str]
    mutates: list[str]
    mutatesDirectly: list[str]
    storesThrough: list[str]
    dynamic: bool
    maybeUnreproducibleCalls: list[NamedCallDict]

def version() -> str:
    """The version of the core, e.g. ``"0.1.0"``."""

def file_readers() -> list[str]:
    """The last names of calls that read files (`open`, `read_csv`, `load`...)."""

def analyze(code: str) -> CellAnalysisDict:
    """Analyses one cell's source; never raises for any source."""

# --- History, plans and the checkpoint format -----------------------------------------

class CellRecordDict(TypedDict):
    code: str
    runtimeNs: int
    success: bool
    reads: list[str]
    readsEverything: bool
    writes: list[str]
    mutates: list[str]
    deletes: list[str]
    cannotRerun: NotRequired[bool]

class GroupSpecDict(TypedDict):
    names: list[str]
    size: int
    serializable: bool

PlanMode = Literal["optimal", "storeAll", "recomputeAll"]
Serializer = Literal["pickle", "cloudPickle"]

class CostModelDict(TypedDict):
    writeBandwidth: float
    readBandwidth: float
    perGroupNs: int

class PlanCostDict(TypedDict):
    storeNs: int
    rerunNs: int

class PlanDict(TypedDict):
    mode: PlanMode
    store: list[int]
    recompute: list[int]
    rerun: list[int]
    steps: list[dict[str, int]]
    cost: PlanCostDict

class ProducerDict(TypedDict):
    coreVersion: str
    pythonVersion: str
    pythonImplementation: str
    platform: str

class CheckpointHeadDict(TypedDict, total=False):
    plan: PlanDict
    costModel: CostModelDict
    producer: ProducerDict
    createdUnixMs: int
    parent: str
    extra: dict[str, str]

class VerifyReportDict(TypedDict):
    root: str
    fileLen: int
    chunks: int
    blobBytes: int

class CellSummaryDict(TypedDict):
    id: int
    code: str
    runtimeNs: int
    success: bool
    rerun: bool
    cannotRerun: bool

class GroupSummaryDict(TypedDict):
    id: int
    names: list[str]
    size: int
    serializable: bool
    decision: dict[str, str | int]

class CheckpointSummaryDict(TypedDict):
    formatVersion: int
    producer: ProducerDict
    createdUnixMs: int
    parent: str | None
    cells: list[CellSummaryDict]
    groups: list[GroupSummaryDict]
    planMode: PlanMode
    planCost: PlanCostDict
    steps: list[dict[str, int]]
    storedBytes: int
    chunks: int
    extra: dict[str, str]

class ChunkRefDict(TypedDict):
    offset: int
    len: int
    hash: str

class StoreLayoutDict(TypedDict):
    root: str
    parent: str | None
    createdUnixMs: int
    fileLen: int
    manifestOffset: int
    chunks: list[ChunkRefDict]

class RestoreStepDict(TypedDict, total=False):
    kind: Literal["run", "load"]
    cell: int
    code: str
    success: bool
    group: int
    names: list[str]
    serializer: Serializer
    blobs: int

class History:
    """The application history graph of one session."""

    def __init__(self) -> None: ...
    @staticmethod
    def from_bytes(data: bytes) -> History: ...
    def to_bytes(self) -> bytes: ...
    def record_cell(self, record: CellRecordDict) -> int: ...
    def record_cells(self, records: list[CellRecordDict]) -> None: ...
    def set_groups(self, specs: list[GroupSpecDict]) -> None: ...
    def plan(
        self,
        mode: PlanMode,
        model: CostModelDict | None = None,
        avoid_rerun: list[int] | None = None,
    ) -> PlanDict: ...
    def cell_codes(self) -> list[str]: ...
    def live_names(self) -> list[str]: ...
    def unrestorable_names(self) -> list[str]: ...
    def copy(self) -> History: ...
    @property
    def cell_count(self) -> int: ...
    def to_mermaid(self) -> str: ...

class CheckpointWriter:
    """A checkpoint file written atomically (temp file, sync, verify, rename)."""

    def __init__(self, path: str | PathLike[str], chunk_size: int | None = None) -> None: ...
    def begin_group(self, group: int, serializer: Serializer) -> None: ...
    def begin_blob(self) -> None: ...
    def write(self, data: Buffer) -> None: ...
    def end_blob(self) -> None: ...
    def end_group(self) -> None: ...
    def finish(self, history: History, head: CheckpointHeadDict) -> VerifyReportDict: ...
    def abort(self) -> None: ...

class CheckpointReader:
    """An open, verified checkpoint file."""

    def __init__(self, path: str | PathLike[str]) -> None: ...
    def summary(self) -> CheckpointSummaryDict: ...
    def restore_steps(self) -> list[RestoreStepDict]: ...
    def fallback_steps(self, failed: list[int]) -> list[RestoreStepDict]: ...
    def read_blob(self, group: int, index: int) -> bytearray: ...
    def verify(self) -> VerifyReportDict: ...
    @property
    def root(self) -> str: ...
    def store_layout(self) -> StoreLayoutDict: ...
    def history(self) -> History: ...

def verify_checkpoint(path: str | PathLike[str]) -> VerifyReportDict:
    """Fully verifies a checkpoint file; raises ValueError naming what is wrong."""

def inspect_checkpoint(path: str | PathLike[str]) -> CheckpointSummaryDict:
    """What `elastic-notebook inspect` shows; raises ValueError if the file is damaged."""

class ObjectWalk:
    """The walk of a value's builtin containers (`fingerprint.reach`'s plain part)."""

    def __init__(self) -> None: ...
    def walk(self, roots: list[object]) -> tuple[list[object], list[object]]: ...
    def count(self, value: object) -> bool: ...
    def objects(self) -> IdSet: ...

class IdSet:
    """Object ids kept in Rust (a reach's objects): no Python int per id."""

    def isdisjoint(self, other: Iterable[int]) -> bool: ...
    def __contains__(self, key: object) -> bool: ...
    def __iter__(self) -> Iterator[int]: ...
    def __len__(self) -> int: ...

class Hasher:
    """An incremental blake3 hash (fingerprints of values)."""

    def __init__(self) -> None: ...
    def update(self, data: Buffer) -> None: ...
    def digest(self) -> bytes: ...

def namespace_changes(
    before: dict[str, object],
    anchor: str | None,
    now: dict[str, object],
    hidden: dict[str, object],
) -> tuple[list[str], list[str], str | None, list[str], list[str]]:
    """`namespace.changes` natively: names rebound or new (not IPython's), kept names `now`
    lacks, the anchor of the next diff, and the user's names among the first two, sorted
    (those `hidden` does not hold with the same value)."""
