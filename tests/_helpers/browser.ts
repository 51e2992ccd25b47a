/**
 * Test helper: headless Chromium driven over the DevTools protocol (a websocket on loopback), to
 * see pages as a person would: the DOM after scripts ran, console errors, screenshots.
 *
 * @module
 */
import { waitFor } from "./wait.ts";

/** The Chromium binary, or null with the reason it cannot be used. */
export function findChromium(): { path: string } | { path: null; why: string } {
  for (const path of ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]) {
    try {
      if (Deno.statSync(path).isFile) return { path };
    } catch {
      // Not there; try the next.
    }
  }
  return {
    path: null,
    why: "no chromium found (apt-get install -y chromium; .ci/run installs it)",
  };
}

/** What a page did: console errors and uncaught exceptions. */
export interface PageProblems {
  errors: string[];
}

/** One browser with one page, spoken to over the DevTools protocol. */
export class Browser {
  #child: Deno.ChildProcess;
  #socket: WebSocket;
  #dataDir: string;
  #nextId = 1;
  #pending = new Map<number, PromiseWithResolvers<Record<string, unknown>>>();
  #listeners: Array<(method: string, params: Record<string, unknown>) => void> = [];
  /** Console errors and exceptions since the last navigation. */
  problems: string[] = [];

  private constructor(child: Deno.ChildProcess, socket: WebSocket, dataDir: string) {
    this.#child = child;
    this.#socket = socket;
    this.#dataDir = dataDir;
    socket.onmessage = (event) => this.#onMessage(JSON.parse(event.data));
  }

  /**
   * Starts Chromium headless with a phone-or-desktop window size, and opens its first page.
   *
   * @param path the binary
   * @param size window width and height
   * @returns the browser
   */
  static async launch(path: string, size = { width: 1000, height: 800 }): Promise<Browser> {
    const dataDir = await Deno.makeTempDir({ prefix: "heiretsu-chromium-" });
    const child = new Deno.Command(path, {
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        `--window-size=${size.width},${size.height}`,
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        `--user-data-dir=${dataDir}`,
        "about:blank",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const port = await activePort(dataDir);
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    const page = targets.find((t: { type: string }) => t.type === "page");
    const socket = new WebSocket(page.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    });
    const browser = new Browser(child, socket, dataDir);
    await browser.send("Page.enable");
    await browser.send("Runtime.enable");
    await browser.send("Log.enable");
    return browser;
  }

  /**
   * Sends one protocol command.
   *
   * @param method e.g. "Page.navigate"
   * @param params its parameters
   * @returns the result
   */
  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    const reply = Promise.withResolvers<Record<string, unknown>>();
    this.#pending.set(id, reply);
    this.#socket.send(JSON.stringify({ id, method, params }));
    return reply.promise;
  }

  /**
   * Loads a URL and waits for its load event (scripts have run).
   *
   * @param url the page
   */
  async open(url: string): Promise<void> {
    this.problems = [];
    const loaded = new Promise<void>((resolve) => {
      const listener = (method: string) => {
        if (method !== "Page.loadEventFired") return;
        this.#listeners.splice(this.#listeners.indexOf(listener), 1);
        resolve();
      };
      this.#listeners.push(listener);
    });
    await this.send("Page.navigate", { url });
    await loaded;
  }

  /**
   * Evaluates an expression in the page.
   *
   * @param expression JavaScript; its value must be JSON
   * @returns the value
   */
  async evaluate<T>(expression: string): Promise<T> {
    const reply = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    if (reply.exceptionDetails) throw new Error(JSON.stringify(reply.exceptionDetails));
    return (reply.result as { value: T }).value;
  }

  /**
   * Saves a PNG of the page as it is.
   *
   * @param path where
   * @param width the viewport width (a phone: 390)
   */
  async screenshot(path: string, width?: number): Promise<void> {
    if (width !== undefined) {
      await this.send("Emulation.setDeviceMetricsOverride", {
        width,
        height: 800,
        deviceScaleFactor: 1,
        mobile: width < 600,
      });
    }
    const shot = await this.send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
    });
    const bytes = Uint8Array.from(atob(shot.data as string), (c) => c.charCodeAt(0));
    await Deno.writeFile(path, bytes);
    if (width !== undefined) await this.send("Emulation.clearDeviceMetricsOverride");
  }

  /**
   * Emulates the light or dark color scheme.
   *
   * @param scheme "light" or "dark"
   */
  async colorScheme(scheme: "light" | "dark"): Promise<void> {
    await this.send("Emulation.setEmulatedMedia", {
      features: [{ name: "prefers-color-scheme", value: scheme }],
    });
  }

  /** Closes the browser and removes its profile. */
  async close(): Promise<void> {
    try {
      this.#socket.close();
    } catch { /* gone */ }
    try {
      this.#child.kill("SIGKILL");
    } catch { /* gone */ }
    await this.#child.status;
    await Deno.remove(this.#dataDir, { recursive: true }).catch(() => {});
  }

  #onMessage(message: {
    id?: number;
    result?: Record<string, unknown>;
    error?: unknown;
    method?: string;
    params?: Record<string, unknown>;
  }): void {
    if (message.id !== undefined) {
      const reply = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.error) reply?.reject(new Error(JSON.stringify(message.error)));
      else reply?.resolve(message.result ?? {});
      return;
    }
    const method = message.method ?? "";
    const params = message.params ?? {};
    if (method === "Runtime.exceptionThrown") this.problems.push(JSON.stringify(params));
    if (method === "Runtime.consoleAPICalled" && params.type === "error") {
      this.problems.push(JSON.stringify(params.args));
    }
    if (method === "Log.entryAdded") {
      const entry = params.entry as { level: string; text: string; url?: string };
      if (entry.level === "error") this.problems.push(`${entry.text} ${entry.url ?? ""}`);
    }
    for (const listener of [...this.#listeners]) listener(method, params);
  }
}

/** Waits for Chromium to write the port it chose into its profile. */
function activePort(dataDir: string): Promise<number> {
  return waitFor(async () => {
    try {
      const text = await Deno.readTextFile(`${dataDir}/DevToolsActivePort`);
      const port = Number(text.split("\n")[0]);
      return port > 0 && port;
    } catch {
      return false; // Not written yet.
    }
  }, { timeoutMs: 20_000, what: "chromium to write its DevTools port", pollMs: 50 });
}
