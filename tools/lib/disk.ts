// Disk space: the cache needs room (about 18 GB for the whole chain). A
// command that builds checks the free space first, and a step that dies of a
// full disk ("No space left on device", ENOSPC) is reported as exactly that,
// naming the cache and the way out, instead of as a compiler or tar error.
import { mkdirSync, statfsSync } from 'node:fs';
import { ProtmError } from './errors.js';
import { cacheDir } from './paths.js';

/** Free space below which a building command refuses to start (GiB; PROTM_MIN_FREE_GB overrides). */
const DEFAULT_MIN_FREE_GIB = 2;

export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 2 : 1)} GiB`;
}

const HINT =
  'free space there, or point PROTM_CACHE at a larger disk; `protm gc` removes old run records and unused build products (the whole chain needs about 18 GB)';

/** Throws when the cache's filesystem has less than the minimum free. */
export function requireFreeSpace(): void {
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const min = Number(process.env.PROTM_MIN_FREE_GB ?? DEFAULT_MIN_FREE_GIB) * 2 ** 30;
  const free = freeBytes(dir);
  if (free < min) throw new ProtmError(`not enough disk space for the cache ${dir}: ${gib(free)} free, protm needs at least ${gib(min)}`, HINT);
}

const FULL = /No space left on device|ENOSPC|disk quota exceeded/i;

/** The error to report when a step's output or a thrown error says the disk is full. */
export function diskFullError(lines: string[] | Error, logPath?: string): ProtmError | undefined {
  const text = lines instanceof Error ? `${(lines as NodeJS.ErrnoException).code ?? ''} ${lines.message}` : lines.join('\n');
  if (!FULL.test(text)) return undefined;
  const dir = cacheDir();
  let free = '';
  try {
    free = ` (${gib(freeBytes(dir))} free now)`;
  } catch {
    // the cache directory may be gone
  }
  const where = logPath ? `\n--- full log: ${logPath}` : '';
  return new ProtmError(`out of disk space: the cache ${dir} is full${free}${where}`, HINT);
}
