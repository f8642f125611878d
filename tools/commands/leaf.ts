// Glue shared by every command: a run record, --json output, and turning
// failures into one clear message and a non-zero exit.
import type { Command } from 'commander';
import { interruptExitCode, interruptedBy, stopChildrenOnExit } from '../lib/children.js';
import { diskFullError } from '../lib/disk.js';
import { ProtmError } from '../lib/errors.js';
import { progress } from '../lib/progress.js';
import { RunRecord } from '../lib/run-record.js';
import { pinHash } from '../sources/fetch.js';
import { loadPins, pinVersion } from '../sources/pins.js';

export interface Context {
  record: RunRecord;
  json: boolean;
}

export type Summary = Record<string, unknown> & { status?: 'ok' | 'failed' };

/** Result printed by a command: human text (unless --json) and its summary. */
export interface Outcome {
  text?: string;
  summary: Summary;
  /** Non-zero when the command ran but its verdict is a failure (e.g. checks failed). */
  exitCode?: number;
}

type Handler = (ctx: Context, ...args: never[]) => Promise<Outcome>;

/** Adds --json and the standard run wrapper to a leaf command. */
export function leaf(cmd: Command, recordName: string, handler: Handler): Command {
  return cmd.option('--json', 'print a machine-readable summary as the last line of stdout').action(async (...raw: unknown[]) => {
    // commander passes positional args, then options, then the Command itself.
    const self = raw[raw.length - 1] as Command;
    const opts = self.opts() as { json?: boolean };
    const args = raw.slice(0, -1);
    const json = Boolean(opts.json);
    stopChildrenOnExit();
    const record = new RunRecord(recordName);
    const started = Date.now();
    recordPins(record);
    // Interrupted (Ctrl-C, SIGTERM): the record still says what happened.
    const onExit = () => {
      if (!record.written) record.write('failed', interruptedMessage(interruptedBy()));
    };
    process.once('exit', onExit);
    try {
      const outcome = await (handler as (ctx: Context, ...a: unknown[]) => Promise<Outcome>)({ record, json }, ...args);
      const failed = (outcome.exitCode ?? 0) !== 0;
      const metadata = record.write(failed ? 'failed' : 'ok');
      if (outcome.text && !json) process.stdout.write(`${outcome.text.replace(/\n?$/, '\n')}`);
      if (!json) progress.note(`run record: ${metadata}`);
      if (json)
        printJson({ command: recordName, status: failed ? 'failed' : 'ok', seconds: secondsSince(started), ...outcome.summary, metadata, log: record.logPath });
      process.exitCode = outcome.exitCode ?? 0;
    } catch (caught) {
      const signal = interruptedBy();
      if (signal) {
        // The step failed because protm stopped it: report the interruption, not the step.
        const metadata = record.write('failed', interruptedMessage(signal));
        process.stderr.write(`protm ${recordName}: ${interruptedMessage(signal)}\nrun record: ${metadata}\n`);
        if (json)
          printJson({
            command: recordName,
            status: 'failed',
            seconds: secondsSince(started),
            error: interruptedMessage(signal),
            metadata,
            log: record.logPath,
          });
        process.exitCode = interruptExitCode(signal);
        return;
      }
      const err = (caught instanceof Error && !(caught instanceof ProtmError) && diskFullError(caught)) || caught;
      const message = err instanceof Error ? err.message : String(err);
      const metadata = record.write('failed', message);
      process.stderr.write(`protm ${recordName}: error: ${message}\n`);
      if (err instanceof ProtmError && err.hint) process.stderr.write(`hint: ${err.hint}\n`);
      if (!(err instanceof ProtmError) && err instanceof Error && err.stack) record.log(err.stack);
      process.stderr.write(`run record: ${metadata}\n`);
      if (json) printJson({ command: recordName, status: 'failed', seconds: secondsSince(started), error: message, metadata, log: record.logPath });
      process.exitCode = err instanceof ProtmError ? err.exitCode : 1;
    } finally {
      process.off('exit', onExit);
    }
  });
}

/** Every run's metadata names the pinned inputs it ran against. */
function recordPins(record: RunRecord): void {
  try {
    record.set('pins', Object.fromEntries(loadPins().map((p) => [p.name, { version: pinVersion(p), pinHash: pinHash(p) }])));
  } catch (err) {
    record.set('pins', { error: (err as Error).message });
  }
}

function interruptedMessage(signal: NodeJS.Signals | undefined): string {
  return `interrupted${signal ? ` by ${signal}` : ''} before it finished`;
}

function secondsSince(t: number): number {
  return Math.round((Date.now() - t) / 100) / 10;
}

function printJson(summary: Summary): void {
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}
