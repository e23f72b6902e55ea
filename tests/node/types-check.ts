// Compile-time check of the wasm module's TypeScript API (`tsc -p tests/node`); not run.
import {
  analyze,
  initSync,
  version,
  type CellAnalysis,
  type Definition,
  type DefinitionKind,
  type ParseError,
} from "../../pkg/elastic_notebook.js";

declare const bytes: Uint8Array;
initSync({ module: bytes });

const analysis: CellAnalysis = analyze("y = x + 1");
const reads: string[] = analysis.reads;
const error: ParseError | undefined = analysis.parseError;
const line: number | undefined = error?.line;
const definitions: Definition[] = analysis.definitions;
const kind: DefinitionKind | undefined = definitions[0]?.kind;
const globalWrites: string[] | undefined = definitions[0]?.globalWrites;
const dynamic: boolean = analysis.dynamic;
const coreVersion: string = version();

export { coreVersion, dynamic, globalWrites, kind, line, reads };
