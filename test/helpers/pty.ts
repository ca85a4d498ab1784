/**
 * Drive a command through a real pseudo-terminal, as a person at a terminal
 * would: python3's pty module forks the command with a pty as its stdin,
 * stdout and stderr (so process.stdin.isTTY is true), then for each step
 * waits until the output shows `expect` and types `send`. No npm dependency.
 */
import { spawnSync } from "node:child_process";

export interface PtyStep {
  /** A regular expression (Python syntax) to wait for, after the previous match. */
  expect: string;
  /** What to type once it appears; include "\r" to press Enter. */
  send: string;
}

export interface PtyResult {
  /** The exit code, or 124 when a step's text never appeared. */
  status: number | null;
  /** Everything the terminal showed, typed answers (echoed) included. */
  transcript: string;
}

const DRIVER = String.raw`
import fcntl, json, os, pty, re, select, signal, struct, sys, termios, time
argv = json.loads(sys.argv[1]); steps = json.loads(sys.argv[2]); timeout = float(sys.argv[3])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
# A wide terminal, so readline never wraps a prompt with escape codes inside it.
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 250, 0, 0))
buf = b""
def pump(wait):
    global buf
    r, _, _ = select.select([fd], [], [], wait)
    if not r:
        return True
    try:
        data = os.read(fd, 65536)
    except OSError:
        return False
    if not data:
        return False
    buf += data
    return True
def clean():
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buf.decode("utf-8", "replace"))
cursor = 0
for step in steps:
    deadline = time.time() + timeout
    pat = re.compile(step["expect"])
    while True:
        m = pat.search(clean(), cursor)
        if m:
            cursor = m.end()
            break
        if time.time() > deadline or not pump(0.05):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.stdout.write(clean() + "\n[pty: timed out waiting for " + step["expect"] + "]\n")
            sys.exit(124)
    os.write(fd, step["send"].encode())
deadline = time.time() + timeout
while time.time() < deadline and pump(0.05):
    pass
done, status = 0, 0
while done == 0 and time.time() < deadline + 5:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        time.sleep(0.02)
if done == 0:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    sys.stdout.write(clean() + "\n[pty: the command did not exit]\n")
    sys.exit(124)
sys.stdout.write(clean())
sys.exit(os.waitstatus_to_exitcode(status))
`;

/** Run `argv` (argv[0] looked up on PATH) on a pty with `env`, answering `steps`. */
export function runInPty(argv: string[], env: Record<string, string>, steps: PtyStep[], timeoutMs = 15_000): PtyResult {
  const r = spawnSync("python3", ["-c", DRIVER, JSON.stringify(argv), JSON.stringify(steps), String(timeoutMs / 1000)], {
    env,
    encoding: "utf8",
    timeout: timeoutMs * (steps.length + 2),
  });
  if (r.error) throw r.error;
  return { status: r.status, transcript: r.stdout.replaceAll("\r", "") };
}
