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
  /** The cell does something its source cannot show (exec/eval, magics, star imports). */
  dynamic: boolean;
}
