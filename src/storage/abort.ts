/** Cancellation helpers shared by the stores. */
import { StorageError } from './types.js';

export function abortError(): StorageError {
  return new StorageError('cancelled', 'the operation was cancelled');
}

export function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortError();
}

/**
 * Settles with `work`, or rejects as cancelled as soon as `signal` aborts (for SDK calls that take
 * no signal: the request is abandoned, its result ignored).
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  checkAborted(signal);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Runs `fn` over `items` with at most `limit` at a time; the first failure stops new work. */
export async function forEachLimit<T>(items: readonly T[], limit: number, signal: AbortSignal, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (failed === null && next < items.length) {
      checkAborted(signal);
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (e) {
        failed ??= e;
        throw e;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== null) throw failed;
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}
