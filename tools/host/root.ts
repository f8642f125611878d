// Steps that need root: build roots (mmdebstrap, chroot) and our QEMU, which
// runs inside its build root through unshare and chroot.
import { ProtmError } from '../lib/errors.js';

export function requireRoot(what: string): void {
  if (process.getuid?.() === 0) return;
  throw new ProtmError(
    `${what} needs root (it enters a Debian build root with unshare and chroot), and protm runs as uid ${process.getuid?.()}`,
    'run protm as root (e.g. `sudo -E npx protm run`), or boot without the GPU model with --no-gpu',
  );
}
