// Data-transfer types of the elastic-notebook wasm module, written by hand to match the
// core's serde shapes (src/analysis and the other core modules; fields are camelCase,
// sets are sorted arrays, `None` is `undefined`, so an optional field is `field?: T`). src/wasm.rs copies this file verbatim into
// the generated `elastic_notebook.d.ts`, so it must contain only declarations.

/** A parse error with its 1-based line and column. */
export interface ParseError {
  /** The parser's message. */
  message: string;
  /** 1-based line of the error. */
  line: number;
  /** 1-based column (in characters) of the error. */
  column: number;
}

/** What kind of definition binds a name. */
export type DefinitionKind = "function" | "class" | "lambda";

/** A function or class defined at the cell's top level. */
export interface Definition {
  /** The name it binds. */
  name: string;
  /** Function, class or named lambda. */
  kind: DefinitionKind;
  /** Global names its body reads when called (for a class: its methods' bodies). */
  reads: string[];
  /** Global names its body binds through `global` declarations. */
  globalWrites: string[];
  /** Global names its body calls. */
  calls: string[];
  /** Its body does something the source cannot show: a cell calling it is dynamic. */
  dynamic: boolean;
  /** Calls its body makes that may give values no re-run gives back, or read files: a caller makes them. */
  maybeUnreproducibleCalls: NamedCall[];
}

/** What one cell does to the global namespace, as far as its source shows. */
export interface CellAnalysis {
  /** The parse error if the cell does not parse; all other fields are then empty. */
  parseError?: ParseError;
  /** Global names the cell reads when it runs. */
  reads: string[];
  /** Global names the cell binds (assignment, for, with, except, walrus, match, def, class). */
  binds: string[];
  /** Global names the cell deletes with `del name`. */
  deletes: string[];
  /** Global names bound by `import` statements. */
  imports: string[];
  /** Modules imported with `from module import *`. */
  starImports: string[];
  /** Functions and classes defined at the cell's top level. */
  definitions: Definition[];
  /** Global names the cell calls directly. */
  calls: string[];
  /** Names whose values the cell may change in place (fingerprinted by the host). */
  mutates: string[];
  /** Those of `mutates` it changes directly (`x[0] = 1`, `x.append(1)`): taken as changed. */
  mutatesDirectly: string[];
  /**
   * Roots of the attribute and subscript targets it stores to at its top level, through
   * calls (`mod.X = 1`, `decimal.getcontext().prec = 50`): for modules, changes of state.
   */
  storesThrough: string[];
  /** The cell does something its source cannot show (exec/eval, magics, star imports). */
  dynamic: boolean;
  /**
   * Calls it makes now (not in function bodies) whose callee may give values no re-run
   * gives back (`os.urandom`, `np.random.default_rng` without a seed...), or that read
   * files (`open`, `pd.read_csv`...), by dotted name; the host resolves them.
   */
  maybeUnreproducibleCalls: NamedCall[];
}

/** A call to a dotted name, and whether it passes an argument other than `None`. */
export interface NamedCall {
  /** The callee's dotted name, e.g. `["np", "random", "default_rng"]`. */
  callee: string[];
  /** It passes an argument other than a literal `None` (for a generator: a seed). */
  seeded: boolean;
}

/** What the host observed about one cell execution (input of `History.recordCell`, `recordCells`). */
export interface CellRecord {
  /** The source as the user typed it. */
  code: string;
  /** Wall-clock runtime in nanoseconds. */
  runtimeNs: number;
  /** Whether it finished without raising. */
  success: boolean;
  /** Names it read (from analysis); names not live at the time are ignored. */
  reads: string[];
  /** It may have read anything (it did not parse, or it is dynamic). */
  readsEverything: boolean;
  /** Names it created or rebound. */
  writes: string[];
  /** Names whose objects it changed in place (also through an alias). */
  mutates: string[];
  /** Names it deleted. */
  deletes: string[];
  /**
   * A restore must never re-run it, so what it wrote can only be stored: a cell that takes
   * checkpoints, or changes no cell made (between cells, or found when recording started).
   * Default false.
   */
  cannotRerun?: boolean;
}

/** Live variables that share objects, with their size and serializability. */
export interface GroupSpec {
  /** Live variable names sharing objects. */
  names: string[];
  /** Serialized size estimate in bytes. */
  size: number;
  /** Whether it can be serialized. */
  serializable: boolean;
}

/** How a plan is chosen. */
export type PlanMode = "optimal" | "storeAll" | "recomputeAll";

/** How expensive storing and loading bytes is, relative to re-running cells. */
export interface CostModel {
  /** Bytes per second the checkpoint is written at. */
  writeBandwidth: number;
  /** Bytes per second it is read back at. */
  readBandwidth: number;
  /** Fixed cost of storing one group, in nanoseconds. */
  perGroupNs: number;
}

/** One step of a restore: re-run a cell, or inject a stored group. */
export type ReplayStep = { run: number } | { inject: number };

/** The cost of a plan by the model, in nanoseconds. */
export interface PlanCost {
  storeNs: number;
  rerunNs: number;
}

/** What to store, what to re-run and the replay order. */
export interface Plan {
  mode: PlanMode;
  /** Groups serialized into the checkpoint, sorted. */
  store: number[];
  /** Groups rebuilt by re-running cells, sorted. */
  recompute: number[];
  /** Cells re-run at restore, in execution order. */
  rerun: number[];
  /** The restore, step by step. */
  steps: ReplayStep[];
  cost: PlanCost;
}

/** How a stored group's blobs were made. */
export type Serializer = "pickle" | "cloudPickle";

/** Who wrote a checkpoint. */
export interface Producer {
  coreVersion: string;
  pythonVersion: string;
  pythonImplementation: string;
  platform: string;
}

/** The manifest head the host gives `CheckpointWriter.finish` (the history is separate). */
export interface CheckpointHead {
  /** The plan from `History.plan`, for the same history. */
  plan: Plan;
  costModel?: CostModel;
  producer?: Producer;
  createdUnixMs?: number;
  /** Root hash (hex) of the checkpoint this one followed. */
  parent?: string;
  /** Host metadata. */
  extra?: Record<string, string>;
}

/**
 * The end of a checkpoint: its last bytes (for a writer made by `forStore`, the whole
 * frame: the 16-byte header, then the manifest and trailer), its root hash (hex) and
 * where its parts lie.
 */
export interface FinishedCheckpoint {
  bytes: Uint8Array;
  root: string;
  layout: StoreLayout;
}

/** Where one blob of a stored group lies: its length and its run of chunks. */
export interface BlobRef {
  len: number;
  firstChunk: number;
  chunkCount: number;
}

/** What a full verification checked. */
export interface VerifyReport {
  /** The root hash (hex): the checkpoint's identity. */
  root: string;
  fileLen: number;
  chunks: number;
  blobBytes: number;
}

/** One chunk of blob bytes in a checkpoint file. */
export interface ChunkRef {
  /** Its byte offset in the file. */
  offset: number;
  len: number;
  /** blake3 (hex): its key in a content-addressed store. */
  hash: string;
}

/**
 * Where a checkpoint's parts lie in its file, for a content-addressed store: the frame is
 * `[0, 16)` and `[manifestOffset, fileLen)`, the chunks fill the bytes between, in order.
 */
export interface StoreLayout {
  /** The root hash (hex): the checkpoint's identity. */
  root: string;
  parent?: string;
  createdUnixMs: number;
  fileLen: number;
  manifestOffset: number;
  chunks: ChunkRef[];
}

/** One cell execution in a checkpoint. */
export interface CellSummary {
  id: number;
  code: string;
  /** 0 for changes no cell made. */
  runtimeNs: number;
  success: boolean;
  /** Whether a restore re-runs it. */
  rerun: boolean;
  /** A restore never re-runs it: a cell that checkpoints, or changes no cell made. */
  cannotRerun: boolean;
}

/** What a restore does with one group. */
export type GroupDecision =
  | { kind: "stored"; serializer: Serializer; storedBytes: number; blobs: number }
  | { kind: "recomputed" };

/** One co-variable group in a checkpoint. */
export interface GroupSummary {
  id: number;
  names: string[];
  size: number;
  serializable: boolean;
  decision: GroupDecision;
}

/** What `inspect` shows. */
export interface CheckpointSummary {
  formatVersion: number;
  producer: Producer;
  createdUnixMs: number;
  parent?: string;
  cells: CellSummary[];
  groups: GroupSummary[];
  planMode: PlanMode;
  planCost: PlanCost;
  steps: ReplayStep[];
  storedBytes: number;
  chunks: number;
  /** The manifest's host metadata: process state the host carries besides variables. */
  extra: Record<string, string>;
}

/** One step of a restore, self-contained for the host. */
export type RestoreStep =
  | { kind: "run"; cell: number; code: string; success: boolean }
  | { kind: "load"; group: number; names: string[]; serializer: Serializer; blobs: number };
