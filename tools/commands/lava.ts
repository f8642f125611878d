// protm lava: the board-farm flow on LAVA. A local LAVA instance to try it on
// (server start|stop|status), job definitions for our chain (job), and
// submitting them and reporting their results like a local run (submit, results).
import { Command } from 'commander';
import { serverStatus, startServer, stopServer } from '../lava/server.js';
import { leaf } from '../lib/command.js';

function serverCommand(): Command {
  const cmd = new Command('server').description('a local LAVA instance (PostgreSQL, lava-server, scheduler, worker) on 127.0.0.1');
  leaf(cmd.command('start').description('start it (installs LAVA into a build root the first time)'), 'lava server start', async ({ record }) => {
    const s = await startServer(record);
    return {
      text: `${s.alreadyRunning ? 'already running' : `started in ${s.seconds.toFixed(1)} s`}: LAVA ${s.version} at ${s.url} (worker ${s.worker})`,
      summary: { ...s },
    };
  });
  leaf(cmd.command('stop').description('stop it (its state stays in the cache)'), 'lava server stop', async () => {
    const s = await stopServer();
    return { text: s.wasRunning ? `stopped in ${s.seconds.toFixed(1)} s` : 'not running', summary: { ...s } };
  });
  leaf(cmd.command('status').description('is it running, and is its worker online'), 'lava server status', async () => {
    const s = await serverStatus();
    const text = s.running
      ? `running (pid ${s.pid}): ${s.version ? `LAVA ${s.version} at ${s.url}, worker ${s.worker ?? 'unknown'}` : 'not answering yet'}`
      : 'not running';
    return { text, summary: { ...s }, exitCode: s.running ? 0 : 3 };
  });
  return cmd;
}

export function lavaCommand(): Command {
  const cmd = new Command('lava').description('board farms: LAVA jobs for the QEMU target and RK3588 boards, and a local LAVA server');
  cmd.addCommand(serverCommand());
  return cmd;
}
