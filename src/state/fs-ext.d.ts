/**
 * The slice of fs-ext (a CommonJS native addon without types) that the
 * state layer uses: flock(2) on a file descriptor, the same lock kind
 * Vibe-Trading takes with fcntl.flock.
 */
declare module "fs-ext" {
  /** "ex"/"sh" block; "exnb"/"shnb" throw an error with code EAGAIN when held; "un" releases. */
  type FlockFlag = "sh" | "ex" | "shnb" | "exnb" | "un";
  const fsExt: {
    flockSync(fd: number, flags: FlockFlag): void;
    flock(fd: number, flags: FlockFlag, callback: (err: NodeJS.ErrnoException | null) => void): void;
  };
  export default fsExt;
}
