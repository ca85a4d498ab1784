/**
 * State writes that run after the call that started them has returned (the
 * chain tip file, written behind each ledger append). A process that exits on
 * its own (`serve` on stdio, when the client closes stdin) waits for them,
 * so no temp file is left behind and the tip is as fresh as it can be.
 * Dependency-free, so the entry point can import it without the write path.
 */
const pending = new Set<Promise<unknown>>();

/** Track `p` until it settles (it never rejects through here). */
export function trackWrite(p: Promise<unknown>): void {
  const settled = p.then(
    () => undefined,
    () => undefined,
  );
  pending.add(settled);
  void settled.then(() => pending.delete(settled));
}

/** Resolves once every tracked write has settled, those started meanwhile included. */
export async function writesSettled(): Promise<void> {
  while (pending.size > 0) await Promise.all([...pending]);
}
