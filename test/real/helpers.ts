// Shared by the real-runtime tests: temp dirs and resources released after each test (even a
// failed one), free loopback ports, and waiting on a condition with a bound.
import { afterEach, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Call once at the top of each real-runtime test file: every test and hook is bounded to 20 s
 * (CI runs on 2 cores), and what a test registered with onCleanup is released after it, pass
 * or fail.
 */
export function useRealTestLimits(): void {
  vi.setConfig({ testTimeout: 20_000, hookTimeout: 20_000 });
  afterEach(runCleanups);
}

type Cleanup = () => unknown;
const cleanups: Cleanup[] = [];

/** Registers a release step; steps run last-registered first (sockets close before dirs go). */
export function onCleanup(fn: Cleanup): void {
  cleanups.push(fn);
}

/** Runs every registered step (use as `afterEach(runCleanups)`); the first error is rethrown. */
export async function runCleanups(): Promise<void> {
  let first: unknown;
  while (cleanups.length > 0) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch (err) {
      first ??= err;
    }
  }
  if (first !== undefined) throw first;
}

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kvsim-real-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (addr === null || typeof addr !== 'object') throw new Error('no port');
  return addr.port;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Polls `cond` every few ms; throws naming `what` when it does not hold within `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}
