// Compile-time check of the wasm module's TypeScript API (`tsc -p tests/node`); not run.
import {
  CheckpointReader,
  CheckpointWriter,
  History,
  analyze,
  fileReaders,
  initSync,
  verifyCheckpoint,
  version,
  type CheckpointSummary,
  type FinishedCheckpoint,
  type Plan,
  type RestoreStep,
  type VerifyReport,
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
const readers: string[] = fileReaders();

const history = new History();
const cell: number = history.recordCell({
  code: "x = 1",
  runtimeNs: 1e6,
  success: true,
  reads: [],
  readsEverything: false,
  writes: ["x"],
  mutates: [],
  deletes: [],
});
history.setGroups([{ names: ["x"], size: 28, serializable: true }]);
const plan: Plan = history.plan("optimal", undefined, undefined);
const avoiding: Plan = history.plan("optimal", undefined, [0]);
const codes: string[] = history.cellCodes();
const writer = new CheckpointWriter(undefined);
writer.beginGroup(plan.store[0] ?? 0, "pickle");
writer.writeBlob(new Uint8Array(4));
writer.endGroup();
const head: Uint8Array = writer.takeBytes();
const end: FinishedCheckpoint = writer.finish(history, { plan, createdUnixMs: Date.now() });
const reader = new CheckpointReader(end.bytes);
const summary: CheckpointSummary = reader.summary();
const steps: RestoreStep[] = reader.restoreSteps();
const blob: Uint8Array = reader.readBlob(0, 0);
const report: VerifyReport = verifyCheckpoint(head);
const root: string = reader.root;

export { blob, cell, report, root, steps, summary };
export { coreVersion, dynamic, globalWrites, kind, line, reads };
export { avoiding, codes };
