/**
 * Line prompts on the terminal, for the commands a person confirms
 * (mandate init / renew). Only used when stdin is a TTY: a script never gets
 * a question it cannot see, it is told to pass --yes instead.
 */
import { createInterface, type Interface } from "node:readline";

export interface Prompter {
  /** Ask and wait for one line; null when the input ended (Ctrl-D) — the caller aborts. */
  ask(question: string): Promise<string | null>;
  say(text: string): void;
  /** Drop lines typed before the current question was shown. */
  discardTypeAhead(): void;
  close(): void;
}

/** Whether this process can ask a person: stdin and stdout are both terminals. */
export function interactive(): boolean {
  return process.stdin.isTTY === true && process.stdout.isTTY === true;
}

export function terminalPrompter(input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout): Prompter {
  const rl: Interface = createInterface({ input, output, terminal: true });
  const lines: string[] = [];
  let waiting: ((line: string | null) => void) | null = null;
  let closed = false;
  rl.on("line", (line) => {
    if (waiting) {
      const w = waiting;
      waiting = null;
      w(line);
    } else lines.push(line);
  });
  rl.on("close", () => {
    closed = true;
    waiting?.(null);
    waiting = null;
  });
  return {
    ask(question) {
      rl.setPrompt(question);
      rl.prompt();
      const queued = lines.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      if (closed) return Promise.resolve(null);
      return new Promise((resolve) => (waiting = resolve));
    },
    say(text) {
      output.write(text);
    },
    discardTypeAhead() {
      lines.length = 0;
    },
    close() {
      rl.close();
    },
  };
}

/**
 * Ask until `parse` accepts the answer; an empty answer takes `dflt`.
 * Returns null when the input ended.
 */
export async function askValid<T>(p: Prompter, question: string, dflt: string, parse: (text: string) => { value: T } | { problem: string }): Promise<T | null> {
  for (;;) {
    const answer = await p.ask(`${question} [${dflt}]: `);
    if (answer === null) return null;
    const r = parse(answer.trim() === "" ? dflt : answer);
    if ("value" in r) return r.value;
    p.say(`  ${r.problem}\n`);
  }
}

/**
 * A yes/no question whose default is no: only "y" or "yes" confirms, and only
 * when typed after the question appeared — a line typed ahead (or pasted)
 * before the summary was on screen is not consent to it.
 */
export async function confirm(p: Prompter, question: string): Promise<boolean> {
  p.discardTypeAhead();
  const answer = await p.ask(`${question} [y/N]: `);
  return answer !== null && ["y", "yes"].includes(answer.trim().toLowerCase());
}
