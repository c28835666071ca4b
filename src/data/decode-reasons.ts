// The reason a decode failed, in the decoder's own words (decode.ts's callers report it for each unreadable file).
import { verifyDecodes, type ImageInput } from './decode.js';
import { Semaphore } from './pool.js';

// Why decode failures need a second look: sharp builds its error text from libvips' process-wide error
// buffer, and every sharp job clears that buffer when it ends. With several decodes in flight, a failing
// job can find the buffer already emptied by another one (sharp then says "Unknown error") or holding a
// second job's message as well. Re-decoding the file alone recovers the decoder's own words.

/** sharp's text when the libvips message was lost to a concurrent job. */
const LOST = new Set(['', 'unknown error']);

/** A decoder message as one readable line: lines joined with '; ', repeats (from other jobs) dropped. */
export function decoderReason(message: string): string {
  const parts = [...new Set(message.split('\n').map((s) => s.trim()).filter(Boolean))];
  return parts.join('; ').slice(0, 300);
}

/** True when a reason carries no information (the libvips message was lost). */
export function isLostReason(reason: string): boolean {
  return LOST.has(reason.trim().toLowerCase());
}

const diagnoseLock = new Semaphore(1);

/**
 * Decodes a file that just failed again, one diagnosis at a time, and returns the decoder's reason
 * (undefined if it now decodes). Retries while the reason comes back lost, which can still happen when
 * unrelated decodes run at the same time; after `tries` it returns whatever the last try said.
 */
export async function diagnoseDecode(input: ImageInput, tries = 4): Promise<string | undefined> {
  return diagnoseLock.run(async () => {
    let reason = '';
    for (let i = 0; i < tries; i++) {
      try { await verifyDecodes(input); return undefined; } catch (e) { reason = decoderReason((e as Error).message); }
      if (!isLostReason(reason)) break;
    }
    return isLostReason(reason) ? 'the decoder failed without giving a reason' : reason;
  });
}
