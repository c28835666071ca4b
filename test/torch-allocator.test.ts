// Freed tensor memory is kept for reuse: libtorch frees every activation after each op, and glibc hands
// large blocks straight back to the kernel, so the next batch page-faults the same memory in again (a
// quarter of a 224 px run's CPU time went to the kernel). Measured in child processes, so that each
// setting starts from a fresh allocator.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/torch/index.js';

// From source (tsx) or compiled (dist/test).
const ts = import.meta.url.endsWith('.ts');
const torchIndex = fileURLToPath(new URL(`../src/torch/index.${ts ? 'ts' : 'js'}`, import.meta.url));

interface Rounds { faults: number; rssGrowthMB: number; stats: torch.CpuCacheStats }

/** Makes and frees two 64 MB tensors per round (the allocation pattern of a batch): page faults per round
 *  after the first, and how much the resident memory grew over 24 rounds. */
function rounds(env: NodeJS.ProcessEnv): Rounds {
  const script = `
    const torch = await import(${JSON.stringify(torchIndex)});
    const round = () => torch.scope(() => { torch.zeros([16 * 1024 * 1024]).add(1).sum().item(); });
    round();
    const rss = process.memoryUsage().rss;
    const before = process.resourceUsage().minorPageFault;
    for (let i = 0; i < 24; i++) round();
    const faults = (process.resourceUsage().minorPageFault - before) / 24;
    console.log(JSON.stringify({ faults, rssGrowthMB: (process.memoryUsage().rss - rss) / 2 ** 20, stats: torch.cpuCache.stats() }));`;
  const r = spawnSync(process.execPath, [...(ts ? ['--import', 'tsx'] : []), '--input-type=module', '-e', script],
    { encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Rounds;
}

// Faults per 64 MB tensor: one per 4 KiB page, or one per 2 MiB huge page where the kernel gives every large
// mapping huge pages (transparent_hugepage "always"; the usual default is "madvise").
const thpAlways = (() => {
  try { return /\[always\]/.test(fs.readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8')); } catch { return false; }
})();
const pages = (64 << 20) / (thpAlways ? 2 << 20 : 4096);

test('freed tensor memory is reused without faulting its pages in again, and memory stays flat', () => {
  const cached = rounds({ TLEARN_CPU_CACHE_MB: undefined });
  assert.ok(cached.faults < pages / 10, `expected the memory to be reused, got ${cached.faults} page faults per round`);
  assert.ok(cached.rssGrowthMB < 32, `resident memory grew by ${cached.rssGrowthMB} MB over 24 rounds`);
  assert.ok(cached.stats.hits >= 48, `expected both tensors of each round from the cache, got ${JSON.stringify(cached.stats)}`);
  assert.equal(cached.stats.idleBytes, 2 * 64 * 2 ** 20);
});

test('TLEARN_CPU_CACHE_MB=0 gives freed memory back at once', () => {
  const off = rounds({ TLEARN_CPU_CACHE_MB: '0' });
  assert.equal(off.stats.limitBytes, 0);
  assert.equal(off.stats.idleBytes, 0);
  assert.ok(off.faults > pages, `without the cache each round faults its pages in, expected > ${pages}, got ${off.faults}`);
});

test('the limit bounds what is kept; empty() frees it; a bad limit is refused', () => {
  const { limitBytes } = torch.cpuCache.stats();
  try {
    torch.cpuCache.setLimit(3 * 2 ** 20);
    torch.scope(() => { torch.zeros([2 ** 20]); torch.zeros([2 ** 20]); }); // two 4 MB tensors, one fits
    assert.ok(torch.cpuCache.stats().idleBytes <= 3 * 2 ** 20);
    torch.cpuCache.setLimit(64 * 2 ** 20);
    torch.scope(() => { torch.zeros([2 ** 20]); });
    assert.ok(torch.cpuCache.stats().idleBytes >= 4 * 2 ** 20);
    torch.cpuCache.empty();
    assert.equal(torch.cpuCache.stats().idleBytes, 0);
    assert.throws(() => torch.cpuCache.setLimit(-1), /expected a number of bytes >= 0/);
  } finally {
    torch.cpuCache.setLimit(limitBytes);
  }
});

test('a freed block serves a request up to a quarter smaller, the most recently freed first; not a much smaller one', () => {
  const { limitBytes } = torch.cpuCache.stats();
  try {
    torch.cpuCache.empty();
    torch.cpuCache.setLimit(64 * 2 ** 20);
    const mb = 2 ** 18; // floats in 1 MiB
    torch.scope(() => { torch.zeros([4 * mb]); }); // one 4 MiB block idle
    const { hits, misses } = torch.cpuCache.stats();
    // 3.5 MiB: within a quarter, so the 4 MiB block serves it (while it lives, nothing else is idle).
    torch.scope(() => {
      torch.zeros([3.5 * mb]);
      assert.equal(torch.cpuCache.stats().idleBytes, 0);
    });
    assert.equal(torch.cpuCache.stats().hits, hits + 1);
    assert.equal(torch.cpuCache.stats().idleBytes, 4 * 2 ** 20, 'the block comes back whole');
    // 2 MiB: half the block would be wasted; made anew.
    torch.scope(() => { torch.zeros([2 * mb]); });
    assert.equal(torch.cpuCache.stats().misses, misses + 1);
    assert.equal(torch.cpuCache.stats().idleBytes, 6 * 2 ** 20);
    // Two blocks that fit 3.8 MiB: the one freed last (4 MiB, its memory still in the CPU's caches) is taken.
    torch.cpuCache.empty();
    torch.scope(() => {
      const older = torch.zeros([4.5 * mb]);
      const newer = torch.zeros([4 * mb]);
      older.dispose();
      newer.dispose();
    });
    torch.scope(() => {
      torch.zeros([Math.round(3.8 * mb)]);
      assert.equal(torch.cpuCache.stats().idleBytes, 4.5 * 2 ** 20);
    });
  } finally {
    torch.cpuCache.setLimit(limitBytes);
  }
});
