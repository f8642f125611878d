// What the host needs, as Debian packages (bookworm names). Each entry says
// why, so `protm doctor` can explain a gap.
export interface HostPackage {
  name: string;
  why: string;
}

export const HOST_PACKAGES: HostPackage[] = [
  { name: 'gcc-aarch64-linux-gnu', why: 'cross compiler for the kernel, TF-A, OP-TEE and target checks' },
  { name: 'libc6-dev-arm64-cross', why: 'headers and static libc for target check programs' },
  { name: 'make', why: 'kernel, TF-A and OP-TEE builds' },
  { name: 'flex', why: 'kernel kconfig and dtc' },
  { name: 'bison', why: 'kernel kconfig and dtc' },
  { name: 'bc', why: 'kernel build' },
  { name: 'libssl-dev', why: 'kernel host tools, TF-A certificate tools' },
  { name: 'libelf-dev', why: 'kernel host tools' },
  { name: 'ccache', why: 'content-keyed compile cache' },
  { name: 'cpio', why: 'initramfs' },
  { name: 'xz-utils', why: 'unpacking sources' },
  { name: 'zstd', why: 'unpacking Debian packages' },
  { name: 'dpkg-dev', why: 'dpkg-source to unpack pinned source packages' },
  { name: 'device-tree-compiler', why: 'OP-TEE build and device-tree edits' },
  { name: 'python3-pyelftools', why: 'OP-TEE build (Debian python)' },
  { name: 'python3-cryptography', why: 'OP-TEE TA signing (Debian python)' },
  { name: 'qemu-system-arm', why: 'booting the arm64 target (qemu-system-aarch64) and KUnit' },
  { name: 'qemu-user-static', why: "the host checks: the target's Mesa on drm-shim (qemu-aarch64-static)" },
  { name: 'mmdebstrap', why: 'build roots for components newer than the host (Mesa, QEMU)' },
  { name: 'git', why: 'patch series work trees' },
  { name: 'perl', why: 'checkpatch.pl' },
  { name: 'python3-ply', why: "checkpatch.pl's SPDX licence check" },
  { name: 'python3-git', why: "checkpatch.pl's SPDX licence check" },
  { name: 'rsync', why: 'kernel headers_install' },
];
