// What the debug adapter needs from Node when it runs outside VS Code (the stand-alone adapter
// dist/debugAdapter.js and the unit tests' harness): a relative `program` resolved against the
// current directory, and includes through the Node contained reader. Inside VS Code the extension
// gives its own (vscode.workspace.fs in VS Code for the Web), so the adapter itself stays Node-free.
import * as path from 'node:path';
import type { ScenarioFileReader } from '../simulator';
import { createContainedReader } from './containedReader';

export const nodeDebugHost = {
  resolveProgram: (program: string): string => path.resolve(program),
  /** Inside the current directory if the program is, else its folder (as the CLI does). */
  includes(program: string): { reader: ScenarioFileReader; root: string } {
    const cwd = process.cwd();
    const root = program.startsWith(cwd + path.sep) ? cwd : path.dirname(program);
    return { reader: createContainedReader(root), root };
  },
};
