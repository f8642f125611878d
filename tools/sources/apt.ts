// A private apt: own sources.list, lists and cache under the protm cache, so
// the host's apt state is never touched. The mirror is the one the host's apt
// already uses (or $PROTM_DEBIAN_MIRROR); the suites are those the pins name.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { diskFullError } from '../lib/disk.js';
import { ProtmError } from '../lib/errors.js';
import { withLock } from '../lib/lock.js';
import { cachePaths } from '../lib/paths.js';
import { progress } from '../lib/progress.js';
import type { Pin, PinnedPackage } from './pins.js';

const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const LISTS_MAX_AGE_HOURS = 24;

export function debianMirror(): string {
  if (process.env.PROTM_DEBIAN_MIRROR) return process.env.PROTM_DEBIAN_MIRROR;
  const candidates = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const deb822 = text.match(/^URIs:\s*(\S+\/debian)\/?\s*$/m);
    if (deb822?.[1]) return deb822[1];
    const oneLine = text.match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s/m);
    if (oneLine?.[1]) return oneLine[1];
  }
  throw new ProtmError('cannot find a Debian mirror in the host apt configuration', 'set PROTM_DEBIAN_MIRROR to the archive URL');
}

export class PrivateApt {
  readonly root = cachePaths.apt();
  readonly configPath = join(this.root, 'apt.conf');
  private readonly sourcesListPath = join(this.root, 'etc', 'sources.list');
  /**
   * Written after every successful refresh, holding the sources.list it was
   * for: its mtime says when the index was last known current. The lists'
   * own files cannot say so: when the archive answers "not modified", apt
   * leaves them as they were.
   */
  private readonly stampPath = join(this.root, 'refreshed');
  private sourcesList = '';

  constructor(private readonly suites: string[]) {}

  private prepare(): void {
    for (const d of ['lists/partial', 'archives/partial', 'etc']) mkdirSync(join(this.root, d), { recursive: true });
    const mirror = debianMirror();
    const sources = [...new Set(this.suites)]
      .sort()
      .flatMap((suite) => [
        `deb [arch=amd64,arm64 signed-by=${KEYRING}] ${mirror} ${suite} main non-free-firmware`,
        `deb-src [signed-by=${KEYRING}] ${mirror} ${suite} main`,
      ]);
    this.sourcesList = `${sources.join('\n')}\n`;
    writeFileSync(this.sourcesListPath, this.sourcesList);
    if (!existsSync(join(this.root, 'status'))) writeFileSync(join(this.root, 'status'), '');
    const conf = [
      `Dir::Etc::SourceList "${this.sourcesListPath}";`,
      'Dir::Etc::SourceParts "/nonexistent";',
      `Dir::State::Lists "${join(this.root, 'lists')}";`,
      `Dir::State::status "${join(this.root, 'status')}";`,
      `Dir::Cache "${this.root}";`,
      `Dir::Cache::archives "${join(this.root, 'archives')}";`,
      'Acquire::Check-Valid-Until "false";',
      'Acquire::Languages "none";',
      'APT::Architectures { "amd64"; "arm64"; };',
      'APT::Sandbox::User "root";',
    ];
    writeFileSync(this.configPath, `${conf.join('\n')}\n`);
  }

  private env(): Record<string, string> {
    return { APT_CONFIG: this.configPath, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' };
  }

  /** Refreshed, for the same sources, less than LISTS_MAX_AGE_HOURS ago. */
  private listsFresh(): boolean {
    if (this.refreshedFor() !== this.sourcesList) return false;
    return (Date.now() - statSync(this.stampPath).mtimeMs) / 3.6e6 < LISTS_MAX_AGE_HOURS;
  }

  async update(force = false): Promise<void> {
    this.prepare();
    if (!force && this.listsFresh()) return;
    // One refresh at a time (apt-get refuses a second one while the first
    // holds the lists), and one for the same sources is enough for everyone
    // who was waiting.
    const before = this.listsStamp();
    await withLock('apt-index', async () => {
      const refreshedMeanwhile = this.listsStamp() !== before && this.refreshedFor() === this.sourcesList;
      if (refreshedMeanwhile || (!force && this.listsFresh())) return;
      // Ours, not a waiting caller's with other suites (prepare runs unlocked).
      writeFileSync(this.sourcesListPath, this.sourcesList);
      await this.refresh();
      writeFileSync(this.stampPath, this.sourcesList);
    });
  }

  /** When the index was last refreshed (0: never). */
  private listsStamp(): number {
    return existsSync(this.stampPath) ? statSync(this.stampPath).mtimeMs : 0;
  }

  /** The sources.list the index was last refreshed for ('' : never). */
  private refreshedFor(): string {
    return existsSync(this.stampPath) ? readFileSync(this.stampPath, 'utf8') : '';
  }

  private async refresh(): Promise<void> {
    progress.note('▸ apt: refreshing the private package index');
    const r = await execa('apt-get', ['update', '-q'], { env: this.env(), reject: false, all: true });
    const out = String(r.all ?? '');
    if (r.exitCode !== 0 || /^(E|Err):/m.test(out)) {
      // A full disk while writing the index is not a network problem.
      const full = diskFullError(out.split('\n'));
      if (full) throw full;
      throw new ProtmError(
        `cannot reach the Debian archive at ${debianMirror()}:\n${out.split('\n').slice(-8).join('\n')}`,
        'check the network, or set PROTM_DEBIAN_MIRROR',
      );
    }
  }

  /** Download every package of `pin` into `dir`. Throws naming the pin on any failure. */
  async download(pin: Pin, dir: string): Promise<void> {
    await this.update();
    for (const pkg of pin.packages) {
      const first = await this.downloadOne(pkg, dir);
      if (first.ok) continue;
      // A stale index can miss a version that the archive has: refresh once.
      await this.update(true);
      const second = await this.downloadOne(pkg, dir);
      if (!second.ok) throw new ProtmError(`pin ${pin.name}: ${describeFailure(pkg, pin.suite, second.output)}`);
    }
  }

  private async downloadOne(pkg: PinnedPackage, dir: string): Promise<{ ok: boolean; output: string }> {
    const args =
      pkg.type === 'source'
        ? ['source', '--download-only', '-q', `${pkg.package}=${pkg.version}`]
        : ['download', '-q', `${pkg.package}:${pkg.arch}=${pkg.version}`];
    const r = await execa('apt-get', args, { cwd: dir, env: this.env(), reject: false, all: true });
    const output = String(r.all ?? '');
    return { ok: r.exitCode === 0 && !/^E:/m.test(output), output };
  }
}

function describeFailure(pkg: PinnedPackage, suite: string, output: string): string {
  const what = `${pkg.package} ${pkg.version}${pkg.arch ? ` (${pkg.arch})` : ''}`;
  if (/404\s+Not Found/i.test(output)) return `${what} is listed in the index but its files do not download (404); pin a version that downloads`;
  if (/(Can not find version|Version '.*' for '.*' was not found|Unable to find a source package|Unable to locate package)/i.test(output)) {
    return `${what} is not in the archive index (suite ${suite}); see \`apt-cache madison\` with the private config, or pick another version`;
  }
  return `downloading ${what} failed:\n${output.split('\n').slice(-6).join('\n')}`;
}
