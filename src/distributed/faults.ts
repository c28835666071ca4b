// Which rank a failed collective was waiting for. Every rank's addon sets tlearn/heartbeat/<rank> =
// "<unix ms> <collectives launched>" in the rendezvous store every second from a native thread (it beats
// while the JS thread blocks in a training step), and tlearn/left/<rank> = "<closed|exited> <unix ms>" when
// the rank leaves. After a failure the rank reads them twice, a few heartbeats apart: a rank whose heartbeat
// did not move has died or stopped answering; one that beats but has launched fewer collectives is alive but
// has not reached this one; a store that does not answer means that its server (rank 0, or torchrun's agent)
// is gone. Wall clocks of different machines are compared only to say how old a heartbeat is.
import { native } from '../torch/native.js';
import type { Handle } from '../torch/native.js';
import { nativeMessage } from './errors.js';

/** One rank's last heartbeat: when (unix ms) and how many collectives it had launched. */
export interface Beat { atMs: number; launched: number }
/** How a rank left the group: its group closed (an error, or the end of its work) or its process exited. */
export interface Left { why: string; atMs: number }

export interface PeerReadings {
  rank: number;
  worldSize: number;
  /** Collectives this rank has launched (the failed one included). */
  launched: number;
  nowMs: number;
  /** Each rank's heartbeat at the first reading and a few heartbeats later (null: none, or not read again). */
  first: (Beat | null)[];
  second: (Beat | null)[] | null;
  left: (Left | null)[];
}

/** What the readings say about the other ranks: the ranks to blame and a sentence naming them. */
export interface PeerFindings { ranks: number[]; text: string }

const seconds = (ms: number): string => `${Math.max(0, ms / 1000).toFixed(1).replace(/\.0$/, '')} s`;

/** The findings from two readings of the heartbeats (pure: the decision, apart from the store). */
export function peerFindings(r: PeerReadings): PeerFindings {
  const ranks: number[] = [];
  const parts: string[] = [];
  for (let k = 0; k < r.worldSize; k++) {
    if (k === r.rank) continue;
    const left = r.left[k], a = r.first[k], b = r.second ? r.second[k] : a;
    if (left) {
      ranks.push(k);
      parts.push(left.why === 'exited' ? `rank ${k} exited ${seconds(r.nowMs - left.atMs)} ago` : `rank ${k} closed its process group ${seconds(r.nowMs - left.atMs)} ago (it failed or finished)`);
    } else if (!b) {
      ranks.push(k);
      parts.push(`rank ${k} never sent a heartbeat`);
    } else if (r.second && a && a.atMs === b.atMs) {
      ranks.push(k);
      parts.push(`rank ${k} stopped answering (last heartbeat ${seconds(r.nowMs - b.atMs)} ago)`);
    } else if (b.launched < r.launched) {
      ranks.push(k);
      const n = r.launched - b.launched;
      parts.push(`rank ${k} is alive but has not reached this collective (${n} collective${n === 1 ? '' : 's'} behind)`);
    }
  }
  if (parts.length === 0) return { ranks, text: 'every other rank is alive and has reached this collective (its heartbeat is current)' };
  return { ranks, text: parts.join('; ') };
}

function parseBeat(v: string | null): Beat | null {
  const m = v === null ? null : /^(\d+) (\d+)$/.exec(v);
  return m ? { atMs: Number(m[1]), launched: Number(m[2]) } : null;
}
function parseLeft(v: string | null): Left | null {
  const m = v === null ? null : /^(\w+) (\d+)$/.exec(v);
  return m ? { why: m[1]!, atMs: Number(m[2]) } : null;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export interface DiagnoseOptions {
  rank: number;
  worldSize: number;
  /** Who serves the store: 'rank 0', or "torchrun's agent" (whose store the ranks' keys sit below a prefix of). */
  storeOwner: string;
  /** How many heartbeat intervals to watch for a heartbeat that moves (default 2.5). */
  settleBeats?: number;
}

/**
 * Reads the heartbeats of the group `group` (blocking for about 2.5 heartbeat intervals when some rank
 * still looks alive) and says which ranks the failure is about. Never throws.
 */
export function diagnosePeers(group: Handle, o: DiagnoseOptions): PeerFindings {
  let where = 'the store';
  try {
    const info = native.distWatch(group) as { launched: number; host: string; port: number; intervalMs: number; nowMs: number };
    where = `the store at ${info.host}:${info.port}`;
    const read = () => Array.from({ length: o.worldSize }, (_, k) => parseBeat(native.distStoreGet(group, `tlearn/heartbeat/${k}`) as string | null));
    const readLeft = () => Array.from({ length: o.worldSize }, (_, k) => parseLeft(native.distStoreGet(group, `tlearn/left/${k}`) as string | null));
    const first = read();
    let left = readLeft();
    const settleMs = (o.settleBeats ?? 2.5) * info.intervalMs;
    let second: (Beat | null)[] | null = null;
    if (first.some((b, k) => k !== o.rank && !left[k] && b !== null)) {
      sleepSync(settleMs);
      second = read();
      left = readLeft();
    }
    return peerFindings({ rank: o.rank, worldSize: o.worldSize, launched: info.launched, nowMs: Date.now(), first, second, left });
  } catch (e) {
    const owner = o.storeOwner === 'rank 0' ? 0 : null;
    return {
      ranks: owner === null ? [] : [owner],
      text: `${where} does not answer (${nativeMessage(e).replace(/^the store at [^:]+:\d+: /, '')}): ${o.storeOwner}, which serves it, has exited or stopped answering`,
    };
  }
}
