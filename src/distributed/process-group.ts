// A c10d process group: the TCPStore rendezvous (rank 0 serves it at MASTER_ADDR:MASTER_PORT) and the
// collectives of libtorch's ProcessGroupGloo (CPU) or ProcessGroupNCCL (CUDA builds), as torch.distributed.
import type { Handle } from '../torch/native.js';
import { native } from '../torch/native.js';
import { wrap, type Tensor } from '../torch/index.js';
import { type Backend, DistributedError, nativeMessage, requireBackend } from './errors.js';
import { diagnosePeers, type PeerFindings } from './faults.js';

// Groups still open when the process exits tell the other ranks so (tlearn/left/<rank> = exited).
const openGroups = new Set<Handle>();
let exitHooked = false;
function markExitOnLeave(h: Handle): void {
  openGroups.add(h);
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const g of openGroups) {
      try {
        native.distLeave(g, 'exited');
      } catch {
        // closed meanwhile
      }
    }
  });
}

/** How to reach the other ranks. */
export interface ProcessGroupOptions {
  /** This process's rank, 0 ≤ rank < worldSize (torchrun's RANK). */
  rank: number;
  /** The number of processes (torchrun's WORLD_SIZE). */
  worldSize: number;
  /** Where rank 0 serves the store (MASTER_ADDR); default 127.0.0.1. */
  masterAddr?: string;
  /** The store's port (MASTER_PORT). */
  masterPort: number;
  /** 'gloo' (CPU tensors, default) or 'nccl' (CUDA tensors; CUDA builds only). */
  backend?: Backend;
  /** How long a collective may wait for the other ranks before it fails; default 5 minutes. */
  timeoutMs?: number;
  /** How long the rendezvous may wait for all ranks to arrive; default timeoutMs. */
  connectTimeoutMs?: number;
  /** Whether this rank serves the TCPStore (default: rank 0); false under torchrun, whose agent serves it. */
  serveStore?: boolean;
  /** A prefix for the group's store keys (torchrun's workers use /worker/attempt_N); default none. */
  storePrefix?: string;
  /**
   * How long another rank's heartbeat (set every second by a native thread: it beats while its process lives) may
   * stay still, or the store stay silent, before every rank prints why and exits, even while blocked in a
   * collective; default 30 s; 0: never (collectives still fail at timeoutMs).
   */
  peerTimeoutMs?: number;
}

/** Reductions of allReduce. 'avg' divides by the world size first, then sums (Gloo in libtorch 1.13 has no AVG). */
export type ReduceOp = 'sum' | 'avg' | 'max' | 'min' | 'product';

export const DEFAULT_COLLECTIVE_TIMEOUT_MS = 5 * 60 * 1000;
export const DEFAULT_PEER_TIMEOUT_MS = 30 * 1000;

/**
 * A launched collective. Await it (it is a PromiseLike: the event loop keeps running while it is in flight,
 * so communication overlaps other work) or call `wait()` to block, as inside a training step. Either way a
 * failure is a {@link DistributedError} naming the rank and the operation.
 */
export class Work<T> implements PromiseLike<T> {
  #promise: Promise<T> | undefined;
  constructor(
    private readonly handle: Handle,
    private readonly result: () => T,
    private readonly fail: (e: unknown) => DistributedError,
  ) {}

  /** Blocks until the collective completes (at most timeoutMs; default the group's timeout). */
  wait(timeoutMs?: number): T {
    try {
      native.distWorkWait(this.handle, timeoutMs);
    } catch (e) {
      throw this.fail(e);
    }
    return this.result();
  }

  /** Whether the collective has completed (successfully or not). */
  isCompleted(): boolean {
    return native.distWorkIsCompleted(this.handle) as boolean;
  }

  /** Settles when the collective completes, without blocking the event loop. */
  promise(): Promise<T> {
    this.#promise ??= (native.distWorkPromise(this.handle) as Promise<void>).then(
      () => this.result(),
      (e) => {
        throw this.fail(e);
      },
    );
    return this.#promise;
  }

  // biome-ignore lint/suspicious/noThenProperty: a Work is awaited like a promise on purpose
  then<A = T, B = never>(
    onfulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.promise().then(onfulfilled, onrejected);
  }
}

/** One process's membership of a group of ranks that run collectives together. */
export class ProcessGroup {
  #handle: Handle | null;
  #findings: PeerFindings | null = null;
  private constructor(
    handle: Handle,
    readonly rank: number,
    readonly worldSize: number,
    readonly backend: Backend,
    readonly timeoutMs: number,
    /** Who serves the rendezvous store: 'rank 0', or "torchrun's agent". */
    readonly storeOwner: string,
  ) {
    this.#handle = handle;
    markExitOnLeave(handle);
  }

  /**
   * Joins the group: rank 0 starts a TCPStore at masterAddr:masterPort, every rank connects to it, then the
   * backend connects every pair of ranks. Resolves when all worldSize ranks have arrived; rejects after
   * connectTimeoutMs (default timeoutMs) with a message naming this rank and the address.
   */
  static async init(o: ProcessGroupOptions): Promise<ProcessGroup> {
    const backend = o.backend ?? 'gloo';
    requireBackend(backend);
    const timeoutMs = o.timeoutMs ?? DEFAULT_COLLECTIVE_TIMEOUT_MS;
    for (const [name, v] of [['rank', o.rank], ['worldSize', o.worldSize], ['masterPort', o.masterPort]] as const) {
      if (!Number.isInteger(v)) throw new Error(`ProcessGroup.init: ${name} must be an integer, got ${v}`);
    }
    for (const [name, v] of [['timeoutMs', timeoutMs], ['connectTimeoutMs', o.connectTimeoutMs ?? timeoutMs]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`ProcessGroup.init: ${name} must be a positive integer of milliseconds, got ${v}`);
    }
    const peerTimeoutMs = o.peerTimeoutMs ?? DEFAULT_PEER_TIMEOUT_MS;
    if (!Number.isInteger(peerTimeoutMs) || peerTimeoutMs < 0) throw new Error(`ProcessGroup.init: peerTimeoutMs must be 0 or a positive integer of milliseconds, got ${peerTimeoutMs}`);
    // Under torchrun's agent store (the ranks serve none, their keys sit below /worker/attempt_N) the agent serves it.
    const storeOwner = o.serveStore === false && o.storePrefix ? "torchrun's agent" : 'rank 0';
    let handle: Handle;
    try {
      handle = await native.distInit(o.rank, o.worldSize, o.masterAddr ?? '127.0.0.1', o.masterPort, backend, timeoutMs, o.connectTimeoutMs,
        o.serveStore ?? o.rank === 0, o.storePrefix ?? '', peerTimeoutMs, storeOwner);
    } catch (e) {
      throw new DistributedError(nativeMessage(e), 'init', o.rank, o.worldSize);
    }
    return new ProcessGroup(handle, o.rank, o.worldSize, backend, timeoutMs, storeOwner);
  }

  /** The native handle (for the reducer and SyncBatchNorm); throws once closed. */
  get handle(): Handle {
    if (this.#handle === null) throw new Error(`the process group of rank ${this.rank} is closed`);
    return this.#handle;
  }
  get isClosed(): boolean {
    return this.#handle === null;
  }

  /** Reduces `t` in place across all ranks: every rank ends with the same result. */
  allReduce(t: Tensor, op: ReduceOp = 'sum'): Work<Tensor> {
    return this.#launch('allReduce', () => native.distAllReduce(this.handle, t.handle, op), () => t);
  }

  /** Overwrites `t` on every rank with root's `t`. */
  broadcast(t: Tensor, root = 0): Work<Tensor> {
    return this.#launch('broadcast', () => native.distBroadcast(this.handle, t.handle, root), () => t);
  }

  /** Every rank's `t` (same shape on all ranks), indexed by rank. The tensors are made when the work is
   *  awaited or waited for, in the caller's scope. */
  allGather(t: Tensor): Work<Tensor[]> {
    let h: Handle;
    return this.#launch('allGather', () => (h = native.distAllGather(this.handle, t.handle)), () =>
      (native.distWorkResult(h) as Handle[]).map(wrap),
    );
  }

  /** Completes when every rank has reached it. */
  barrier(): Work<void> {
    return this.#launch('barrier', () => native.distBarrier(this.handle), () => undefined);
  }

  /** Leaves the group: queued collectives finish first (or fail at their timeout). Idempotent. */
  close(): void {
    if (this.#handle === null) return;
    openGroups.delete(this.#handle);
    native.distClose(this.#handle);
    this.#handle = null;
  }

  /**
   * Which other ranks a failed collective waited for, from the heartbeats in the store (faults.ts): blocks a few
   * seconds at most. What was found about ranks that died is kept: the next failure says the same at once.
   */
  peerFindings(): PeerFindings {
    if (this.#findings) return this.#findings;
    if (this.#handle === null) return { ranks: [], text: 'the process group is closed' };
    const f = diagnosePeers(this.#handle, { rank: this.rank, worldSize: this.worldSize, storeOwner: this.storeOwner });
    if (f.ranks.length > 0) this.#findings = f;
    return f;
  }

  /** Names the rank and the op in an error from the addon; a failure to communicate also names the ranks it waited for. */
  error(op: string, e: unknown): DistributedError {
    if (e instanceof DistributedError) return e;
    const message = nativeMessage(e);
    // The addon's communication failures say "<op> failed on rank R of N"; bad arguments do not.
    if (this.worldSize < 2 || this.#handle === null || !/ failed on rank \d+ of \d+/.test(message)) {
      return new DistributedError(message, op, this.rank, this.worldSize);
    }
    const found = this.peerFindings();
    return new DistributedError(`${message} — ${found.text}`, op, this.rank, this.worldSize, found.ranks);
  }

  #launch<T>(op: string, start: () => Handle, result: () => T): Work<T> {
    let h: Handle;
    try {
      h = start();
    } catch (e) {
      throw this.error(op, e);
    }
    return new Work(h, result, (e) => this.error(op, e));
  }
}
