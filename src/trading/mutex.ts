/**
 * A FIFO async mutex: in-process callers queue here before taking the
 * cross-process flock, so they wait their turn instead of polling the file.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  /** Run fn when every earlier caller has finished. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
