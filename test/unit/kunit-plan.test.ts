// Which KUnit build a run makes (tools/build/kunit-plan.ts): the modules
// alone only when nothing but Panthor's C files changed since the last build,
// and the initramfs that loads them (tools/build/kunit-initramfs.ts).
import { describe, expect, it } from 'vitest';
import { initramfsList } from '../../tools/build/kunit-initramfs.js';
import { type BuildState, planBuild } from '../../tools/build/kunit-plan.js';

const last: BuildState = { recipe: 1, tree: 'a'.repeat(40), config: 'c1' };
const now: BuildState = { ...last, tree: 'b'.repeat(40) };

describe('KUnit build plan', () => {
  it('rebuilds the modules alone when only Panthor sources and headers changed', () => {
    const plan = planBuild(last, now, [
      'drivers/gpu/drm/panthor/panthor_sched.c',
      'drivers/gpu/drm/panthor/tests/panthor_protm_test.c',
      'drivers/gpu/drm/panthor/panthor_gem.h',
    ]);
    expect(plan).toMatchObject({ kind: 'modules' });
  });

  it('rebuilds the kernel when a file outside Panthor changed, and names it', () => {
    const plan = planBuild(last, now, ['drivers/gpu/drm/panthor/panthor_sched.c', 'drivers/tee/tee_heap.c']);
    expect(plan).toEqual({ kind: 'full', reason: "changed outside Panthor's C files: drivers/tee/tee_heap.c" });
  });

  it("rebuilds the kernel for Panthor's Kconfig or Makefile, which change what is configured or built", () => {
    expect(planBuild(last, now, ['drivers/gpu/drm/panthor/Kconfig']).kind).toBe('full');
    expect(planBuild(last, now, ['drivers/gpu/drm/panthor/tests/Makefile']).kind).toBe('full');
  });

  it('rebuilds the kernel after a .config change, a recipe change, with no earlier build or nothing to compare', () => {
    expect(planBuild(last, { ...now, config: 'c2' }, ['drivers/gpu/drm/panthor/panthor_sched.c']).kind).toBe('full');
    expect(planBuild(last, { ...now, recipe: 2 }, ['drivers/gpu/drm/panthor/panthor_sched.c']).kind).toBe('full');
    expect(planBuild(undefined, now, ['drivers/gpu/drm/panthor/panthor_sched.c']).kind).toBe('full');
    expect(planBuild(last, now, undefined).kind).toBe('full');
  });

  it('builds nothing when nothing changed', () => {
    expect(planBuild(last, { ...last }, []).kind).toBe('none');
  });
});

describe('KUnit initramfs', () => {
  it('numbers the modules in the build order, so the init loads them in that order', () => {
    const list = initramfsList('/cache/init', ['/b/drivers/gpu/drm/drm_exec.ko', '/b/drivers/gpu/drm/panthor/panthor.ko']);
    expect(list.split('\n')).toEqual([
      'dir /dev 0755 0 0',
      'nod /dev/console 0600 0 0 c 5 1',
      'nod /dev/kmsg 0644 0 0 c 1 11',
      'file /init /cache/init 0755 0 0',
      'dir /modules 0755 0 0',
      'file /modules/00-drm_exec.ko /b/drivers/gpu/drm/drm_exec.ko 0644 0 0',
      'file /modules/01-panthor.ko /b/drivers/gpu/drm/panthor/panthor.ko 0644 0 0',
      '',
    ]);
  });
});
