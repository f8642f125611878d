// Child processes die with protm. Each long-running child gets its own
// process group; when protm exits or is interrupted (Ctrl-C, SIGTERM,
// SIGHUP), every live group is killed before protm goes, so no compiler, ninja
// or QEMU keeps a core busy behind it.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ChildProcess } from 'node:child_process';

const groups = new Set<number>();

/**
 * One chain of work run beside another (sideBySide): its process groups, and
 * whether it must stop. A lane may itself run lanes side by side: stopping it
 * stops those too, so its groups include its inner lanes' groups.
 */
interface Lane {
  stopped: boolean;
  groups: Set<number>;
  outer?: Lane;
}
const lanes = new AsyncLocalStorage<Lane>();

/** The lane of the current call and every lane it runs within, innermost first. */
function laneChain(): Lane[] {
  const chain: Lane[] = [];
  for (let lane = lanes.getStore(); lane; lane = lane.outer) chain.push(lane);
  return chain;
}

/** True when the work this call belongs to must start nothing more: work beside it (or beside a lane holding it) failed. */
export function laneStopped(): boolean {
  return laneChain().some((lane) => lane.stopped);
}

/**
 * Run two independent chains of work at once (each may run steps). When one
 * fails, the other's running steps are stopped and it starts no more; once
 * both have ended, the first failure is thrown.
 */
export async function sideBySide<A, B>(first: () => Promise<A>, second: () => Promise<B>): Promise<[A, B]> {
  const outer = lanes.getStore();
  const a: Lane = { stopped: false, groups: new Set(), outer };
  const b: Lane = { stopped: false, groups: new Set(), outer };
  const runs = [lanes.run(a, first), lanes.run(b, second)] as const;
  try {
    return await Promise.all(runs);
  } catch (err) {
    for (const lane of [a, b]) {
      lane.stopped = true;
      for (const pid of lane.groups) killGroup(pid, 'SIGTERM');
    }
    await Promise.allSettled(runs);
    throw err;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function killAll(signal: NodeJS.Signals): void {
  for (const pid of groups) killGroup(pid, signal);
}

const EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
let installed = false;
let interrupted: NodeJS.Signals | undefined;

/** The signal that interrupted protm, if one did: a step that fails after it failed because of it. */
export function interruptedBy(): NodeJS.Signals | undefined {
  return interrupted;
}

/** The exit status for an interruption by `signal` (128 + its number). */
export function interruptExitCode(signal: NodeJS.Signals): number {
  return EXIT_CODES[signal] ?? 130;
}

/** Install the exit and signal handlers (once); every command does at start. */
export function stopChildrenOnExit(): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => killAll('SIGKILL'));
  for (const signal of Object.keys(EXIT_CODES) as NodeJS.Signals[]) {
    process.on(signal, () => {
      process.stderr.write(`\nprotm: ${signal}: stopping ${groups.size} running step(s)\n`);
      interrupted = signal;
      process.exitCode = interruptExitCode(signal);
      killAll('SIGTERM');
      // The command then fails its step and writes its record; if it has not
      // ended after a grace period, exit anyway (the exit handler SIGKILLs
      // whatever did not stop).
      setTimeout(() => process.exit(interruptExitCode(signal)), 5000).unref();
    });
  }
}

/** Track `child` (spawned with detached: true) until it exits; returns the untracking function. */
export function killGroupOnExit(child: Pick<ChildProcess, 'pid' | 'once'>): () => void {
  stopChildrenOnExit();
  const pid = child.pid;
  if (pid === undefined) return () => {};
  groups.add(pid);
  const chain = laneChain();
  for (const lane of chain) lane.groups.add(pid);
  const release = () => {
    groups.delete(pid);
    for (const lane of chain) lane.groups.delete(pid);
  };
  child.once('exit', release);
  return release;
}

/** Signal the process group of `child` (spawned with detached: true). */
export function signalGroup(child: Pick<ChildProcess, 'pid'>, signal: NodeJS.Signals): void {
  if (child.pid !== undefined) killGroup(child.pid, signal);
}
