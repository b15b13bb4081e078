// The one way the log commands (run --log, check, whatif) read the log they are given: a regular
// file (never a FIFO, which would block, or a device such as /dev/zero, which never ends) or
// stdin, and never more than the import budget, so a hostile path cannot hang or exhaust them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRegularFile } from '../node/containedReader';
import type { CliIo } from './cli';

/** Largest log read (a long trace-cmd report is tens of MiB); the same budget as `import`. */
export const DEFAULT_LOG_MAX_BYTES = 64 * 1024 * 1024;

function readStdin(maxBytes: number): { ok: true; text: string } | { ok: false; reason: string } {
  const chunks: Buffer[] = [];
  let n = 0;
  for (;;) {
    const chunk = Buffer.alloc(Math.min(1 << 20, maxBytes + 1 - n));
    let got: number;
    try {
      got = fs.readSync(0, chunk, 0, chunk.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue; // a non-blocking pipe with nothing yet
      if (code === 'EOF') break;
      return { ok: false, reason: code ?? String(e) };
    }
    if (got === 0) break;
    chunks.push(chunk.subarray(0, got));
    n += got;
    if (n > maxBytes) return { ok: false, reason: `more than ${maxBytes} bytes on stdin` };
  }
  return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
}

/**
 * Reads the log `file` ('-' for stdin). On failure writes "FILE: cannot read: REASON" to stderr
 * and returns undefined (the caller exits 2).
 */
export async function readLogInput(file: string, io: CliIo, maxBytes = DEFAULT_LOG_MAX_BYTES): Promise<{ text: string; display: string } | undefined> {
  const r = file === '-' ? readStdin(maxBytes) : await readRegularFile(path.resolve(file), maxBytes);
  if (!r.ok) {
    io.stderr(`${file}: cannot read: ${r.reason}\n`);
    return undefined;
  }
  return { text: r.text, display: file === '-' ? '<stdin>' : file };
}
