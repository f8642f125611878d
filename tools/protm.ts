// protm: pins and fetches sources, applies/exports/checks the patch series,
// builds the chain, boots the target and reports. One subcommand per module
// in commands/.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { benchCommand } from './commands/bench.js';
import { buildCommand } from './commands/build.js';
import { gcCommand } from './commands/gc.js';
import { doctorCommand, setupCommand } from './commands/host.js';
import { kunitCommand } from './commands/kunit.js';
import { lavaCommand } from './commands/lava.js';
import { patchesCommand } from './commands/patches.js';
import { qtestCommand } from './commands/qtest.js';
import { bootCommand, hostChecksCommand, runCommand } from './commands/run.js';
import { sourcesCommand } from './commands/sources.js';
import { repoRoot } from './lib/paths.js';

const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

const program = new Command('protm')
  .description('an open protected-content pipeline for Mali CSF GPUs')
  .version(version, '-V, --version', 'print the version of protm')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

for (const cmd of [
  runCommand(),
  bootCommand(),
  hostChecksCommand(),
  kunitCommand(),
  qtestCommand(),
  setupCommand(),
  doctorCommand(),
  sourcesCommand(),
  patchesCommand(),
  buildCommand(),
  benchCommand(),
  gcCommand(),
  lavaCommand(),
])
  program.addCommand(cmd);

// Usage errors anywhere in the tree exit with status 2 (failures exit 1).
function inherit(cmd: Command): void {
  for (const sub of cmd.commands) {
    sub.copyInheritedSettings(cmd);
    inherit(sub);
  }
}
inherit(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? 0 : 2;
  else throw err;
}
