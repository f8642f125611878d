// A real local LAVA instance (PostgreSQL, lava-server's REST API under
// gunicorn, the scheduler and one worker) from Debian's packages, in the
// sid-lava build root, bound to 127.0.0.1. Its state (database, job logs,
// device dictionaries, secrets) lives under <cache>/lava, never in the build
// root, which stays as mmdebstrap made it: the directories LAVA writes are
// bind-mounted from the state directory in a private mount namespace, and
// the settings come through the environment (tools/lava/services.sh).
//
// `start` leaves one detached supervisor (unshare → chroot → services.sh)
// whose process group holds every service; `stop` signals that group.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuildRoot } from '../host/buildroot.js';
import { requireRoot } from '../host/root.js';
import { ProtmError } from '../lib/errors.js';
import { pidAlive } from '../lib/lock.js';
import { cacheDir, repoRoot } from '../lib/paths.js';
import { progress } from '../lib/progress.js';
import type { RunRecord } from '../lib/run-record.js';
import { fileTail } from '../lib/text.js';

export const LAVA_BUILD_ROOT = 'sid-lava';

/** Loopback ports; PROTM_LAVA_PORT moves the web API (e.g. when 8000 is taken). */
export function httpPort(): number {
  return Number(process.env.PROTM_LAVA_PORT ?? 8000);
}
const PG_PORT = 54329;

export const lavaDirs = {
  state: () => join(cacheDir(), 'lava'),
  log: () => join(lavaDirs.state(), 'log'),
  pidFile: () => join(lavaDirs.state(), 'server.pid'),
  secrets: () => join(lavaDirs.state(), 'secrets.json'),
  /** Mounted on the worker's /usr/local/bin: our qemu-system-aarch64 wrapper and the protm-qemu link. */
  bin: () => join(lavaDirs.state(), 'bin'),
  /** Artifacts referenced by jobs (file:// URLs), by content. */
  files: () => join(lavaDirs.state(), 'files'),
};

/** State directory → path inside the build root it is mounted on. */
const MOUNTS: [string, string][] = [
  ['pg', '/var/lib/postgresql/protm'],
  ['log', '/var/log/protm-lava'],
  ['dispatcher-config', '/etc/lava-server/dispatcher-config'],
  ['var-lib-lava-server', '/var/lib/lava-server'],
  ['var-log-lava-server', '/var/log/lava-server'],
  ['dispatcher', '/var/lib/lava/dispatcher'],
  ['bin', '/usr/local/bin'],
];

interface Secrets {
  dbPassword: string;
  secretKey: string;
  apiToken: string;
}

export function lavaUrl(): string {
  return `http://127.0.0.1:${httpPort()}`;
}

export function readSecrets(): Secrets {
  if (!existsSync(lavaDirs.secrets())) throw new ProtmError('the local LAVA server was never started', 'run `protm lava server start`');
  return JSON.parse(readFileSync(lavaDirs.secrets(), 'utf8')) as Secrets;
}

function ensureSecrets(): Secrets {
  if (existsSync(lavaDirs.secrets())) return readSecrets();
  const s: Secrets = {
    dbPassword: randomBytes(12).toString('hex'),
    secretKey: randomBytes(32).toString('base64url'),
    apiToken: randomBytes(20).toString('hex'),
  };
  writeFileSync(lavaDirs.secrets(), `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
  return s;
}

const imagesDir = () => join(repoRoot, 'images', 'lava');

/** Our device types and devices into the dispatcher configuration; the list services.sh registers. */
function installDeviceConfig(root: string): string {
  const config = join(lavaDirs.state(), 'dispatcher-config');
  if (!existsSync(join(config, 'devices'))) {
    // First start: begin from the package's own (empty) configuration tree.
    cpSync(join(root, 'etc/lava-server/dispatcher-config'), config, { recursive: true });
  }
  mkdirSync(join(config, 'device-types'), { recursive: true });
  mkdirSync(join(config, 'devices'), { recursive: true });
  const lines: string[] = [];
  for (const f of readdirSync(join(imagesDir(), 'device-types'))) {
    copyFileSync(join(imagesDir(), 'device-types', f), join(config, 'device-types', f));
    lines.push(`type ${f.replace(/\.jinja2$/, '')}`);
  }
  for (const f of readdirSync(join(imagesDir(), 'devices'))) {
    copyFileSync(join(imagesDir(), 'devices', f), join(config, 'devices', f));
    const type = /\{% extends '([^']+)\.jinja2' %\}/.exec(readFileSync(join(imagesDir(), 'devices', f), 'utf8'))?.[1];
    if (!type) throw new ProtmError(`images/lava/devices/${f} extends no device type`);
    lines.push(`device ${f.replace(/\.jinja2$/, '')} ${type}`);
  }
  const setup = join(lavaDirs.state(), 'setup.list');
  writeFileSync(setup, `${lines.join('\n')}\n`);
  return setup;
}

/** Our QEMU wrapper for the worker (images/lava/worker), and which protm QEMU build it runs. */
export function linkWorkerQemu(protmQemu?: string): void {
  mkdirSync(lavaDirs.bin(), { recursive: true });
  copyFileSync(join(imagesDir(), 'worker', 'qemu-system-aarch64'), join(lavaDirs.bin(), 'qemu-system-aarch64'));
  if (protmQemu) {
    const link = join(lavaDirs.bin(), 'protm-qemu');
    rmSync(link, { force: true });
    symlinkSync(protmQemu, link);
  }
}

function supervisorPid(): number | undefined {
  if (!existsSync(lavaDirs.pidFile())) return undefined;
  const pid = Number(readFileSync(lavaDirs.pidFile(), 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && pidAlive(pid) ? pid : undefined;
}

export interface ServerStatus {
  running: boolean;
  pid?: number;
  url: string;
  /** The REST API answered, with LAVA's version. */
  version?: string;
  /** The worker as the server sees it ("Online"/"Offline"). */
  worker?: string;
}

async function getJson(path: string, token?: string): Promise<unknown> {
  const res = await fetch(`${lavaUrl()}${path}`, {
    headers: token ? { Authorization: `Token ${token}` } : {},
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

export async function serverStatus(): Promise<ServerStatus> {
  const pid = supervisorPid();
  const status: ServerStatus = { running: pid !== undefined, pid, url: lavaUrl() };
  if (!pid) return status;
  try {
    status.version = ((await getJson('/api/v0.2/system/version/')) as { version: string }).version;
    const token = existsSync(lavaDirs.secrets()) ? readSecrets().apiToken : undefined;
    status.worker = ((await getJson('/api/v0.2/workers/protm-worker/', token)) as { state: string }).state;
  } catch {
    // Still starting, or a service died: the fields stay unset.
  }
  return status;
}

/** The mount-namespace side: mounts, then chroot into services.sh. Runs as the supervisor. */
function outerScript(): string {
  return [
    'R="$PROTM_ROOT"; S="$PROTM_STATE"; C="$PROTM_CACHE"',
    // The root a mount point of its own: protm's QEMU wrapper, run by the
    // worker inside, makes its own private mount namespace, which needs "/" to be one.
    'mount --bind "$R" "$R"',
    'mount -t proc proc "$R/proc"',
    'mount -t sysfs sysfs "$R/sys"',
    'mount --rbind /dev "$R/dev"',
    'mount -t tmpfs tmpfs "$R/run"',
    'mount -t tmpfs tmpfs "$R/tmp"',
    // The cache at its own path: the state, job artifacts (file:// URLs) and
    // protm's QEMU build with its own build root, which the wrapper enters.
    'mkdir -p "$R$C"; mount --bind "$C" "$R$C"',
    ...MOUNTS.map(([from, to]) => `mkdir -p "$S/${from}" "$R${to}"; mount --bind "$S/${from}" "$R${to}"`),
    'exec chroot "$R" /bin/sh "$S/services.sh"',
  ].join('\n');
}

export interface StartResult extends ServerStatus {
  seconds: number;
  alreadyRunning: boolean;
}

/** Start the instance (idempotent); resolves once the API answers and the worker is online. */
export async function startServer(record: RunRecord): Promise<StartResult> {
  requireRoot('the local LAVA server');
  const started = Date.now();
  const before = await serverStatus();
  if (before.running && before.worker === 'Online') return { ...before, seconds: 0, alreadyRunning: true };
  if (before.running) throw new ProtmError(`a local LAVA server (pid ${before.pid}) is running but not ready`, 'wait a moment, or `protm lava server stop` it');
  const root = await ensureBuildRoot(record, LAVA_BUILD_ROOT);
  const state = lavaDirs.state();
  mkdirSync(lavaDirs.log(), { recursive: true });
  const secrets = ensureSecrets();
  const setup = installDeviceConfig(root);
  linkWorkerQemu();
  copyFileSync(join(repoRoot, 'tools', 'lava', 'services.sh'), join(state, 'services.sh'));
  const logFile = join(lavaDirs.log(), 'server.log');
  const out = openSync(logFile, 'a');
  const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-ec', outerScript()], {
    detached: true,
    stdio: ['ignore', out, out],
    env: {
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      LC_ALL: 'C.UTF-8',
      PROTM_ROOT: root,
      PROTM_STATE: state,
      PROTM_CACHE: cacheDir(),
      STATE: state,
      PGPORT: String(PG_PORT),
      HTTP_PORT: String(httpPort()),
      DB_PASSWORD: secrets.dbPassword,
      SECRET_KEY: secrets.secretKey,
      API_TOKEN: secrets.apiToken,
      SETUP: setup,
    },
  });
  child.unref();
  if (!child.pid) throw new ProtmError('could not start unshare for the LAVA server');
  writeFileSync(lavaDirs.pidFile(), `${child.pid}\n`);
  record.log(`lava server supervisor pid ${child.pid}, log ${logFile}`);
  const ticker = progress.start('lava server start');
  // First start: initdb and LAVA's migrations take a few minutes on this kind of host.
  const deadline = Date.now() + 480_000;
  try {
    for (;;) {
      if (!pidAlive(child.pid)) {
        throw new ProtmError(`the LAVA server exited while starting:\n${fileTail(logFile, 25, '(no log)')}`, `logs: ${lavaDirs.log()}`);
      }
      const s = await serverStatus();
      if (s.worker === 'Online') {
        // The scheduler comes up on its own time, and services.sh stops the
        // whole instance when any service dies: give it a moment to show.
        await new Promise((r) => setTimeout(r, 10_000));
        if (!pidAlive(child.pid)) continue;
        ticker.stop(true);
        return { ...s, seconds: (Date.now() - started) / 1000, alreadyRunning: false };
      }
      if (Date.now() > deadline) {
        await stopServer();
        throw new ProtmError(`the LAVA server did not come up within 8 minutes:\n${fileTail(logFile, 25, '(no log)')}`, `logs: ${lavaDirs.log()}`);
      }
      ticker.update(fileTail(logFile, 1, '(no log)'));
      await new Promise((r) => setTimeout(r, 1000));
    }
  } catch (err) {
    ticker.stop(false);
    throw err;
  }
}

/** Stop the instance: SIGTERM to the supervisor's group (services.sh stops PostgreSQL cleanly), SIGKILL after 60 s. */
export async function stopServer(): Promise<{ wasRunning: boolean; seconds: number }> {
  const started = Date.now();
  const pid = supervisorPid();
  if (!pid) {
    rmSync(lavaDirs.pidFile(), { force: true });
    return { wasRunning: false, seconds: 0 };
  }
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pid, s);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  const groupAlive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + 60_000;
  while (groupAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  if (groupAlive()) signal('SIGKILL');
  rmSync(lavaDirs.pidFile(), { force: true });
  return { wasRunning: true, seconds: (Date.now() - started) / 1000 };
}
