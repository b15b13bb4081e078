// The Node implementation of ScenarioFileReader, for the CLI, the stand-alone debug adapter and
// the extension on the desktop: a file is read only if its real path (after every symbolic link)
// lies inside the workspace root, it is a regular file (never a FIFO, a device such as /dev/zero,
// or a directory), and it is no larger than the cap. The file is opened non-blocking, so even a
// FIFO swapped in after the check cannot hang us, and at most cap + 1 bytes are ever read.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ScenarioFileReader, ScenarioReadResult } from '../simulator/scenario/files';
import { DEFAULT_SCENARIO_BUDGET, tooLargeReason } from '../simulator/scenario/files';

export interface ContainedReaderOptions {
  /** Largest file read, in bytes (default: the scenario budget's maxFileBytes). */
  maxBytes?: number;
  /** Text to use instead of the disk for a path that passed the checks (an editor's unsaved document). */
  overlay?: (file: string) => string | undefined;
}

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel));
}

function reasonOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'not found';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ELOOP') return 'too many symbolic links';
  if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return 'not a regular file (it would block)';
  return code ?? (e instanceof Error ? e.message : String(e));
}

/**
 * Reads a regular file of at most maxBytes bytes (no containment check: for a file the user named
 * on the command line). Never throws; never blocks on a FIFO; never reads more than maxBytes + 1.
 */
export async function readRegularFile(file: string, maxBytes: number = DEFAULT_SCENARIO_BUDGET.maxFileBytes): Promise<ScenarioReadResult> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(file);
  } catch (e) {
    return { ok: false, reason: reasonOf(e) };
  }
  if (!st.isFile()) return { ok: false, reason: st.isDirectory() ? 'a directory, not a file' : 'not a regular file' };
  if (st.size > maxBytes) return { ok: false, reason: tooLargeReason(st.size, maxBytes) };
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    // Check what was opened, not only what was stat'ed (it may have been swapped in between).
    const ost = await fh.stat();
    if (!ost.isFile()) return { ok: false, reason: 'not a regular file' };
    // Read in chunks until the end or one byte past the cap (the file may have grown since the stat).
    const chunks: Buffer[] = [];
    let n = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(65536, maxBytes + 1 - n));
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, n);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      n += bytesRead;
      if (n > maxBytes) return { ok: false, reason: tooLargeReason(n, maxBytes) };
    }
    return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
  } catch (e) {
    return { ok: false, reason: reasonOf(e) };
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** A reader confined to `root`: symbolic links are followed, and the target must stay inside. */
export function createContainedReader(root: string, opts: ContainedReaderOptions = {}): ScenarioFileReader {
  const maxBytes = opts.maxBytes ?? DEFAULT_SCENARIO_BUDGET.maxFileBytes;
  let realRoot: Promise<string> | undefined;
  return {
    async read(file: string): Promise<ScenarioReadResult> {
      realRoot ??= fs.promises.realpath(root).catch(() => path.resolve(root));
      const base = await realRoot;
      let real: string;
      try {
        real = await fs.promises.realpath(file);
      } catch (e) {
        return { ok: false, reason: reasonOf(e) };
      }
      if (!inside(base, real)) return { ok: false, reason: 'it leads outside the workspace (through a symbolic link); includes must stay inside it' };
      const over = opts.overlay?.(file);
      if (over !== undefined) {
        return over.length > maxBytes ? { ok: false, reason: tooLargeReason(over.length, maxBytes) } : { ok: true, text: over };
      }
      return readRegularFile(real, maxBytes);
    },
  };
}
