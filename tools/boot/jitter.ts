// Starves QEMU now and then, as a loaded host does: PROTM_QEMU_JITTER=MIN-MAX
// stops QEMU's process group (SIGSTOP) for MIN to MAX milliseconds at random
// moments, 0 to 400 ms apart. Under TCG the guest's clock follows the host's,
// so after each stop the guest's timers fire late and all at once, and its
// threads interleave in ways an idle host rarely shows. A kernel race that
// needs a thread to be preempted inside a short window (the CI flake that
// kernel patch 1 fixes took this to reproduce) then shows in minutes.
// Latency bounds (the protected-mode fairness case) are expected to fail.
import type { ChildProcess } from 'node:child_process';
import { signalGroup } from '../lib/children.js';
import { ProtmError, USAGE_ERROR } from '../lib/errors.js';

export interface JitterRange {
  minMs: number;
  maxMs: number;
}

/** The longest gap between two stops. */
const MAX_GAP_MS = 400;

/** PROTM_QEMU_JITTER's value: "MIN-MAX" in milliseconds; unset or empty is off. */
export function parseJitter(value: string | undefined): JitterRange | undefined {
  if (!value) return undefined;
  const m = /^(\d+)-(\d+)$/.exec(value.trim());
  const minMs = m ? Number(m[1]) : Number.NaN;
  const maxMs = m ? Number(m[2]) : Number.NaN;
  if (!m || minMs < 1 || maxMs < minMs || maxMs > 5000) {
    throw new ProtmError(
      `PROTM_QEMU_JITTER=${value}: expected MIN-MAX, how long each stop of QEMU lasts in milliseconds (1 <= MIN <= MAX <= 5000)`,
      'for example PROTM_QEMU_JITTER=20-140',
      USAGE_ERROR,
    );
  }
  return { minMs, maxMs };
}

export interface Jitter {
  /** Stops the jitter and lets QEMU run; returns how many stops there were and their total length. */
  end(): { stops: number; stoppedMs: number };
}

function between(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

/** Stop `child`'s process group at random moments until end() is called. */
export function startJitter(child: Pick<ChildProcess, 'pid'>, range: JitterRange): Jitter {
  let stops = 0;
  let stoppedMs = 0;
  let stoppedAt: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const resume = (): void => {
    if (stoppedAt === undefined) return;
    signalGroup(child, 'SIGCONT');
    stoppedMs += Date.now() - stoppedAt;
    stoppedAt = undefined;
  };
  const schedule = (): void => {
    timer = setTimeout(
      () => {
        signalGroup(child, 'SIGSTOP');
        stoppedAt = Date.now();
        stops++;
        timer = setTimeout(
          () => {
            resume();
            schedule();
          },
          between(range.minMs, range.maxMs),
        );
        timer.unref();
      },
      between(0, MAX_GAP_MS),
    );
    timer.unref();
  };
  schedule();
  return {
    end() {
      clearTimeout(timer);
      resume();
      return { stops, stoppedMs };
    },
  };
}
