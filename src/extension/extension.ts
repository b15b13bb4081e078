// Entry of the Node extension host (package.json `main`). First import: its clock starts before
// the rest of the bundle runs. On disk, scenarios and their includes are read through the Node
// contained reader (real paths, file type, size); src/web/extension.ts is the `browser` entry,
// which reads through vscode.workspace.fs only.
import './startupClock';
import { createContainedReader, readRegularFile } from '../node/containedReader';
import { setNodeFiles } from './scenarioFiles';

setNodeFiles({ createContainedReader, readRegularFile });

export { activate, deactivate } from './activate';
