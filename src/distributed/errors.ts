// Errors of the distributed layer and the check that the addon has it at all.
import { native } from '../torch/native.js';

/** A collective, the rendezvous or the gradient reducer failed; the message names the rank and the operation
 *  ("allReduce failed on rank 0 of 2 (gloo): Connection closed by peer ... — rank 1 stopped answering (last
 *  heartbeat 3 s ago)"), and, when the heartbeats tell, the ranks it was waiting for (`peers`). */
export class DistributedError extends Error {
  constructor(
    message: string,
    readonly op: string,
    readonly rank: number,
    readonly worldSize: number,
    /** The ranks that died, stopped answering or lag behind (from src/distributed/faults.ts); [] when unknown. */
    readonly peers: number[] = [],
  ) {
    super(message);
    this.name = 'DistributedError';
  }
}

export type Backend = 'gloo' | 'nccl';

/** Which c10d backends the native addon was built with. */
export function distributedBackends(): { gloo: boolean; nccl: boolean } {
  const probe = native.distAvailable as (() => { gloo: boolean; nccl: boolean }) | undefined;
  return probe ? probe() : { gloo: false, nccl: false };
}

/** Throws a message that says what to install when the addon lacks the backend. */
export function requireBackend(backend: Backend): void {
  const have = distributedBackends();
  if (!have.gloo) {
    throw new Error(
      "tlearn's native addon was built without distributed support (c10d's Gloo headers were missing). Install them " +
        '(Debian/Ubuntu: sudo apt-get install libgloo-dev; official libtorch zips and pip torch include them) and ' +
        'rebuild the addon: npm run build:native in a checkout, npm rebuild tlearn in a project.',
    );
  }
  if (backend === 'nccl' && !have.nccl) {
    throw new Error(
      "backend 'nccl' needs a CUDA libtorch with NCCL: build the addon against one (LIBTORCH=/path/to/libtorch-cuda, " +
        "or a pip torch with CUDA; NCCL_INCLUDE_DIR where nccl.h is not found), or use backend 'gloo'",
    );
  }
}

/** The addon's message without its op-name prefix ("distAllReduce: ..."): it already names the op and rank. */
export function nativeMessage(e: unknown): string {
  if (e instanceof Error) return (e as Error & { torchMessage?: string }).torchMessage ?? e.message;
  return String(e);
}
