/**
 * Files a success message depends on (a deployment manifest, the demo's "seeded" marker, a state
 * file) are written aside, flushed to disk and renamed into place: after a kill or a power cut the
 * path holds the old content or the new, never part of one.
 */
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";

function fsyncPath(path: string, flags: string): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `data` to `path` atomically and durably (created with `mode`, e.g. 0o600 for a key file).
 * `exclusive`: never replaces a file already at `path` (fails with EEXIST, even against a writer
 * racing this one): the finished file is hard-linked into place instead of renamed over it.
 */
export function writeFileDurably(path: string, data: string | Uint8Array, o: { mode?: number; exclusive?: boolean } = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  const aside = `${path}.partial`;
  const fd = openSync(aside, "w", o.mode);
  try {
    writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (o.exclusive) {
    try {
      linkSync(aside, path);
    } finally {
      unlinkSync(aside);
    }
  } else renameSync(aside, path);
  fsyncPath(dirname(path), "r");
}
