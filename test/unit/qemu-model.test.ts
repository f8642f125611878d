// Our QEMU (qemu-patches: the Mali CSF GPU model), built in the sid build
// root, and its qtests. The end-to-end use of the model (Panthor probing
// with Arm's firmware) is in target-run.test.ts (the default target has the GPU).
import { existsSync, mkdtempSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cacheDir, repoRoot } from '../../tools/lib/paths.js';
import { lastJson, protm } from '../helpers/cli.js';

describe('QEMU with the Mali CSF model', () => {
  it('builds qemu-system-aarch64 from the pinned source and the series', async () => {
    const r = await protm(['build', 'qemu', '--json']);
    const summary = lastJson(r.stdout);
    expect(summary.status, r.stderr.slice(-3000)).toBe('ok');
    expect(existsSync(summary.realBinary as string)).toBe(true);
    expect(
      readFileSync(summary.realBinary as string)
        .subarray(0, 4)
        .toString('latin1'),
    ).toBe('\x7fELF');
  });

  it("runs from a directory below which the cache is a mount of its own (a cache under the LAVA worker's /tmp)", async () => {
    // A private mount namespace: a tmpfs as the current directory, the
    // cache bound below it, the wrapper written for that cache path. A bind
    // does not carry the mounts below it, so a wrapper that bound the
    // current directory after the cache lost the cache ("not found").
    const dir = mkdtempSync('/tmp/protm-wrapper-');
    const script = [
      'D="$1"; REAL="$2"; CLI="$3"; NODE="$4"',
      'mount -t tmpfs tmpfs "$D"',
      'mkdir "$D/cache"; mount --bind "$REAL" "$D/cache"',
      'cd "$D"',
      'B=$(PROTM_CACHE="$D/cache" "$NODE" "$CLI" build qemu --json | tail -n 1 | sed -n \'s/.*"binary":"\\([^"]*\\)".*/\\1/p\')',
      'echo "wrapper: $B"',
      'exec "$B" --version',
    ].join('\n');
    try {
      const r = await execa(
        'unshare',
        ['--mount', '--propagation', 'private', '--', 'sh', '-ec', script, 'sh', dir, cacheDir(), join(repoRoot, 'bin', 'protm.js'), process.execPath],
        {
          reject: false,
        },
      );
      expect(r.stdout, r.stderr).toMatch(/wrapper: \/tmp\/protm-wrapper-\w+\/cache\/artifacts\/qemu-\w+\/qemu-system-aarch64\nQEMU emulator version /);
      expect(r.exitCode, r.stderr).toBe(0);
    } finally {
      rmdirSync(dir);
      // The artifact's wrapper names the cache path it was written for: back to the real one.
      expect(lastJson((await protm(['build', 'qemu', '--json'])).stdout).status).toBe('ok');
    }
  });

  it('passes its qtests (registers, IRQ lines, MMU and TLB, command streams, protected mode, TZC-400 isolation, the firmware image, compute, clears)', async () => {
    const r = await protm(['qtest', '--json']);
    const summary = lastJson(r.stdout);
    expect(summary.status, `${r.stderr.slice(-3000)}\n${r.stdout.slice(-3000)}`).toBe('ok');
    const doc = JSON.parse(readFileSync(summary.results as string, 'utf8')) as {
      counts: { passed: number; failed: number };
      cases: { name: string; status: string }[];
    };
    expect(doc.counts.failed).toBe(0);
    expect(doc.counts.passed).toBeGreaterThanOrEqual(105);
    const cases = [
      ...['job', 'invalid-instruction', 'mmu-fault', 'endless', 'suspend-resume', 'doorbell', 'resume-keeps-fatal', 'mmio-refused'].map((n) => `/cs/${n}`),
      ...['exception-handler', 'exception-handler-unknown'].map((n) => `/cs/${n}`),
      // STORE_STATE's error status (Mesa's PAN_MESA_DEBUG=sync) and disjoint count
      '/cs/store-state',
      // a suspended group's doorbell leaves its (freed) rings alone
      '/cs/suspended-doorbell',
      // GPU timestamps tick with the CPUs' generic timer
      ...['cortex-a57', '1ghz'].map((n) => `/timestamp/${n}`),
      // GLB_IDLE only after the host's GLB_IDLE_TIMER hysteresis
      ...['idle', 'idle-hysteresis'].map((n) => `/glb/${n}`),
      // every step of the protected-mode protocol
      ...['pending', 'enter-refused', 'enter-run-exit', 'ping-exit-reset', 'suspend', 'fault'].map((n) => `/protm/${n}`),
      // entering and leaving take time, and normal groups wait from the start of an entry
      ...['transition-time', 'entry-holds-normal-groups'].map((n) => `/protm/${n}`),
      // isolation through the TZC-400 (virt,tzc=on)
      ...['cpu', 'gpu-normal', 'gpu-protected', 'protected-write-out', 'protected-suspend-buffer'].map((n) => `/isolation/${n}`),
      // compute on the Valhall interpreter, shaders from Mesa's assembler (a
      // missing Mesa source makes them skip, which fails here)
      ...['isa-tables', 'arith', 'load-store', 'divergence', 'fault-unimplemented', 'fault-undecodable', 'bad-descriptor', 'endless'].map(
        (n) => `/compute/${n}`,
      ),
      ...['suspend-resume', 'migrate'].map((n) => `/compute/${n}`),
      // translations stay in the TLB until the host invalidates them
      ...['tlb-remap-seen-after-unlock', 'tlb-unlock-elsewhere-then-update', 'tlb-unmap-faults-after-flush'].map((n) => `/mmu/${n}`),
      // an MMU command keeps its address space busy; one written meanwhile is lost
      '/mmu/command-keeps-as-active',
      // work waits for a shader core the group may use (CSG_ALLOW_*) and
      // for an endpoint it asked for (CSG_EP_REQ)
      ...['no-cores-waits', 'no-endpoints-waits'].flatMap((n) => [`/compute/${n}`, `/fragment/${n}`]),
      // storage buffers through resource tables (LEA_BUFFER), and its faults
      ...['lea-buffer', 'lea-buffer-no-table', 'lea-buffer-no-descriptor', 'lea-buffer-not-a-buffer'].map((n) => `/compute/${n}`),
      // textures and images (panvk's image copies): texel fetches from linear
      // and u-interleaved textures, image stores, unsupported data faulting
      ...['tex-fetch-linear', 'tex-fetch-tiled', 'image-store', 'tex-unsupported-format', 'tex-afbc'].map((n) => `/compute/${n}`),
      ...['compute-normal', 'compute-protected', 'compute-protected-write-out', 'tex-fetch-normal'].map((n) => `/isolation/${n}`),
      // fragment jobs of frames that only clear (linear and u-interleaved
      // targets), the rest of fragment work faulting as not modelled
      ...['clear-linear', 'clear-tiled', 'draws-unmodelled', 'frame-shader-unmodelled', 'afbc-unmodelled', 'tile-enable-map-unmodelled'].map(
        (n) => `/fragment/${n}`,
      ),
      ...['fragment-protected', 'fragment-normal', 'fragment-protected-write-out'].map((n) => `/isolation/${n}`),
      // the firmware's protected sections must be protected memory, and a
      // malformed firmware image stops QEMU with the defect named
      ...['prot-section-protected', 'prot-section-normal', 'prot-section-unmapped'].map((n) => `/firmware/${n}`),
      ...['bad-magic', 'major-version', 'truncated', 'short-section', 'prot-not-pages', 'unknown-entry'].map((n) => `/firmware/refused/${n}`),
    ];
    for (const name of cases) {
      expect(doc.cases.find((c) => c.name.endsWith(name))?.status, name).toBe('pass');
    }
  });
});
