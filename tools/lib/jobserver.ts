// One pool of compile slots per protm process, shared through GNU make's
// jobserver protocol by the builds it runs side by side (the main job's
// kernel, OP-TEE and QEMU; the patch check's Image and W=1 builds). Each
// used to take every core (-jN), so two builds ran 2N compilers on N cores,
// which is slower than N: two OP-TEE builds side by side took 205-221 s with
// -j2 each and 183-193 s sharing a pool of two (docs/measurements.md).
//
// The pool is a named FIFO holding one byte per core. A build's own first
// job is backed by a byte protm takes before starting it; make and ninja
// take and give back the rest themselves. So at most N compilers run,
// however many builds are running, and a build alone still gets every core.
//
// Clients: the host's make (4.3) reads the FIFO through inherited file
// descriptors (`--jobserver-auth=R,W`, blocking ones: make 4.3 stops with
// "read jobs pipe" on a non-blocking one); ninja 1.13 in the sid build root
// opens it by path (`--jobserver-auth=fifo:PATH`, make 4.4's form).
import { execFileSync } from 'node:child_process';
import { constants, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Options } from 'execa';
import { cachePaths } from './paths.js';
import { removeStaleTemps, tempPath } from './temp.js';

export type JobserverClient = 'make' | 'ninja';

interface Pool {
  dir: string;
  fifo: string;
  /** Blocking read-write descriptor, the one make inherits (make 4.3 needs it blocking). */
  fd: number;
  /** Non-blocking descriptor for protm's own takes, so a wait never holds the process open. */
  poll: number;
  /** Slots handed out and not yet released. */
  out: number;
  /** protm's own takes waiting for a core, oldest first: each returns whether it got one. */
  waiters: (() => boolean)[];
}

let pool: Pool | undefined;
const POLL_MS = 20;

/**
 * The pool's FIFO lives in one directory of the cache for every process
 * (`jobserver/slots.tmp-<pid>`), so a build root binds that directory once,
 * not a new one per run; a FIFO left by a killed process goes at the next
 * start.
 */
function openPool(): Pool {
  if (pool) return pool;
  const dir = cachePaths.jobserver();
  mkdirSync(dir, { recursive: true });
  const final = join(dir, 'slots');
  removeStaleTemps(final);
  const fifo = tempPath(final);
  execFileSync('mkfifo', ['-m', '600', fifo]);
  // Opened read-write, a FIFO never blocks on open and keeps its bytes for
  // as long as this process holds it, whoever else opens or closes it.
  const fd = openSync(fifo, constants.O_RDWR);
  const poll = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  process.once('exit', () => rmSync(fifo, { force: true }));
  pool = { dir, fifo, fd, poll, out: 0, waiters: [] };
  refill(pool);
  return pool;
}

/**
 * With no slot out, the pool holds one byte per core again. A build killed
 * while its make held extra bytes takes them with it; this gives them back
 * whenever protm runs no build.
 */
function refill(p: Pool): void {
  const buf = Buffer.alloc(64);
  for (;;) {
    try {
      if (readSync(p.poll, buf, 0, buf.length, null) <= 0) break;
    } catch {
      break; // EAGAIN: empty
    }
  }
  writeSync(p.fd, Buffer.from('+'.repeat(cpus().length)));
}

function tryTake(p: Pool): boolean {
  try {
    return readSync(p.poll, Buffer.alloc(1), 0, 1, null) === 1;
  } catch {
    return false; // EAGAIN: every core is busy
  }
}

/**
 * Waits for a core. The poll's timer does not hold the process open (a wait
 * that nothing will end must not hang protm's exit), so a release in this
 * process hands its core to the waiters at once: polled, a waiter could
 * miss it when the released build was the last thing keeping the process
 * alive, and protm would exit in the middle of its work, with no verdict.
 * The poll remains for cores that make and ninja give back.
 */
function take(p: Pool): Promise<void> {
  return new Promise((resolve) => {
    const waiter = () => {
      if (!tryTake(p)) return false;
      resolve();
      return true;
    };
    if (waiter()) return;
    p.waiters.push(waiter);
    const poll = () => {
      const i = p.waiters.indexOf(waiter);
      if (i < 0) return; // served by a release
      if (waiter()) p.waiters.splice(i, 1);
      else setTimeout(poll, POLL_MS).unref();
    };
    setTimeout(poll, POLL_MS).unref();
  });
}

/** Hands the pool's free cores to the waiting takes, oldest first. */
function serveWaiters(p: Pool): void {
  while (p.waiters.length > 0 && p.waiters[0]?.()) p.waiters.shift();
}

/** The pool's directory, which a client in a build root must see at its own path. */
export function jobserverDir(): string {
  return openPool().dir;
}

export interface Slot {
  /** What the client reads: MAKEFLAGS naming the pool. */
  env: Record<string, string>;
  /** The client's stdio for execa: no stdin, piped output, and for make the pool's descriptor as 3 and 4. */
  stdio: Options['stdio'];
  release(): void;
}

/**
 * A slot for one build: waits for a free core, then returns what the build
 * needs to share the pool. The build must not be given -jN (that makes
 * make and ninja ignore the pool), and `release` must run when it exits.
 */
export async function takeSlot(client: JobserverClient): Promise<Slot> {
  const p = openPool();
  await take(p);
  p.out += 1;
  let held = true;
  const auth = client === 'make' ? '--jobserver-auth=3,4' : `--jobserver-auth=fifo:${p.fifo}`;
  return {
    env: { MAKEFLAGS: ` -j ${auth}` },
    // execa's types take no descriptor number past stderr; Node's spawn does.
    stdio: ['ignore', 'pipe', 'pipe', ...(client === 'make' ? [p.fd, p.fd] : [])] as Options['stdio'],
    release() {
      if (!held) return;
      held = false;
      p.out -= 1;
      if (p.out === 0) refill(p);
      else writeSync(p.fd, Buffer.from('+'));
      serveWaiters(p);
    },
  };
}

/** Runs `fn` holding one core of the pool: for CPU-bound helpers that are not make or ninja. */
export async function onCore<T>(fn: () => Promise<T>): Promise<T> {
  const slot = await takeSlot('make');
  try {
    return await fn();
  } finally {
    slot.release();
  }
}
