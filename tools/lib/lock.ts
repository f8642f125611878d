// Locks between protm processes sharing one cache. A build directory, a work
// tree or an artifact being made is locked by name; a second protm waits,
// saying who holds the lock, instead of building into the same directory.
// A lock whose holder has died (kill -9, power loss) is taken over.
//
// Within one process, work can run side by side (the main job builds QEMU
// beside the kernel): a lock belongs to the chain of calls that took it,
// which may take it again (nested builds), while a parallel chain of the
// same process waits like another process would.
import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { cachePaths } from './paths.js';
import { progress } from './progress.js';

export interface LockHolder {
  pid: number;
  command: string;
  since: string;
}

const POLL_MS = 500;
const REPORT_EVERY_MS = 30_000;
/** Locks this process holds, by path (released if the process exits). */
const held = new Set<string>();
/** The locks the current chain of calls holds. */
const chainLocks = new AsyncLocalStorage<ReadonlySet<string>>();

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockPath(name: string): string {
  return join(cachePaths.locks(), `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.lock`);
}

/** The holder a lock file names; undefined when it is unreadable (being written, or garbage). */
export function readHolder(path: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

export function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} (${h.command}, since ${h.since})`;
}

function tryTake(path: string): boolean {
  try {
    const fd = openSync(path, 'wx');
    const me: LockHolder = { pid: process.pid, command: `protm ${process.argv.slice(2).join(' ')}`.trim(), since: new Date().toISOString() };
    writeSync(fd, JSON.stringify(me));
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  }
}

function releaseAll(): void {
  for (const path of held) rmSync(path, { force: true });
  held.clear();
}
process.once('exit', releaseAll);

/** Run `fn` holding the lock `name`; waits (with a message naming the holder) while another process has it. */
export async function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const path = lockPath(name);
  const mine = chainLocks.getStore() ?? new Set<string>();
  if (mine.has(path)) return fn();
  mkdirSync(cachePaths.locks(), { recursive: true });
  let lastReport = 0;
  while (!tryTake(path)) {
    const holder = readHolder(path);
    if (holder && !pidAlive(holder.pid)) {
      progress.note(`! taking over the lock "${name}" from ${describeHolder(holder)}, which is no longer running`);
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() - lastReport >= REPORT_EVERY_MS) {
      const who = holder?.pid === process.pid ? 'another step of this protm' : holder ? describeHolder(holder) : 'another protm';
      progress.note(`… waiting for "${name}": locked by ${who} (${path})`);
      lastReport = Date.now();
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  held.add(path);
  try {
    return await chainLocks.run(new Set([...mine, path]), fn);
  } finally {
    held.delete(path);
    rmSync(path, { force: true });
  }
}
