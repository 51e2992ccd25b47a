/**
 * @module
 * The pages as a person sees them, in headless Chromium over the DevTools protocol: the default
 * site, a listing of odd names (links that resolve, the filter, natural order) and the 404 page,
 * with no console errors; screenshots go to test-artifacts/browser/ (git-ignored). Without
 * Chromium the tests are skipped, saying why.
 */
import assert from "node:assert/strict";
import { Browser, findChromium } from "../_helpers/browser.ts";
import { TestServer } from "../_helpers/server.ts";

const chromium = findChromium();
const ignore = chromium.path === null;
if (chromium.path === null) console.log(`browser tests skipped: ${chromium.why}`);

const ARTIFACTS = new URL("../../test-artifacts/browser/", import.meta.url).pathname;

/** Names a listing must survive: markup, quotes, percent, hash, query, spaces, non-ASCII. */
const ODD_NAMES = [
  "file-10.txt",
  "file-2.txt",
  "<b>bold<b> & \"quoted\" 'it'.txt",
  "100% done #1?.md",
  "café ☕.txt",
  "photo.PNG",
  "archive.tar.gz",
  "script.ts",
  "no-extension",
];

async function withBrowser(
  fn: (browser: Browser, shot: (name: string, width?: number) => Promise<void>) => Promise<void>,
): Promise<void> {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const browser = await Browser.launch(chromium.path!);
  try {
    await fn(browser, async (name, width) => {
      const path = `${ARTIFACTS}${name}.png`;
      await browser.screenshot(path, width);
      console.log(`screenshot: ${path}`);
    });
  } finally {
    await browser.close();
  }
}

/** Problems other than the expected error status of the page itself. */
function unexpected(problems: string[], pageUrl: string): string[] {
  return problems.filter((p) => !(p.includes("status of 404") && p.endsWith(pageUrl)));
}

Deno.test({
  name: "the default site renders with its stylesheet and logo, and no console errors",
  ignore,
  fn: async () => {
    const server = await TestServer.start(["--quiet"]);
    try {
      await withBrowser(async (browser, shot) => {
        await browser.open(`${server.url}/`);
        const seen = await browser.evaluate<{ h1: string; logo: number; bg: string }>(`({
          h1: document.querySelector("h1").textContent,
          logo: document.querySelector("header img").naturalWidth,
          bg: getComputedStyle(document.body).backgroundColor,
        })`);
        assert.match(seen.h1, /heiretsu/);
        assert.ok(seen.logo > 0, "the logo loaded");
        assert.equal(seen.bg, "rgb(246, 247, 251)", "style.css applied");
        assert.deepEqual(browser.problems, []);
        await shot("default-page");
      });
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "a listing of odd names: natural order, links that resolve, the filter, light and dark",
  ignore,
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "heiretsu-browser-" });
    for (const name of ODD_NAMES) await Deno.writeTextFile(`${root}/${name}`, `${name}\n`);
    await Deno.mkdir(`${root}/sub dir`);
    await Deno.mkdir(`${root}/empty`);
    await Deno.writeTextFile(`${root}/sub dir/inner.txt`, "inner\n");
    const server = await TestServer.start(["--root", root, "--list", "--quiet"]);
    try {
      await withBrowser(async (browser, shot) => {
        const url = `${server.url}/`;
        await browser.open(url);
        const names = await browser.evaluate<string[]>(
          `[...document.querySelectorAll("tbody tr[data-name]")].map((r) => r.dataset.name)`,
        );
        assert.deepEqual(names.slice(0, 2), ["empty", "sub dir"], "folders first");
        assert.deepEqual(new Set(names), new Set(["empty", "sub dir", ...ODD_NAMES]));
        assert.ok(names.indexOf("file-2.txt") < names.indexOf("file-10.txt"), "natural order");
        // Every link leads to what it names.
        const fetched = await browser.evaluate<Array<[string, number, string]>>(`Promise.all(
          [...document.querySelectorAll("tbody tr[data-name]:not(.dir) a")].map(async (a) => {
            const response = await fetch(a.href);
            return [a.textContent, response.status, await response.text()];
          }))`);
        for (const [name, status, body] of fetched) {
          assert.equal(status, 200, name);
          assert.equal(body, `${name}\n`, name);
        }
        const icons = await browser.evaluate<number>(
          `document.querySelectorAll("tbody svg use").length`,
        );
        assert.equal(icons, names.length, "an icon per row");
        await shot("listing-light");
        await browser.colorScheme("dark");
        await shot("listing-dark");
        await browser.colorScheme("light");
        await shot("listing-phone", 390);
        const filtered = await browser.evaluate<{ shown: string[]; count: string }>(`(() => {
          const input = document.getElementById("filter");
          input.value = "FILE-";
          input.dispatchEvent(new Event("input"));
          const shown = [...document.querySelectorAll("tbody tr[data-name]")]
            .filter((r) => !r.hidden).map((r) => r.dataset.name);
          return { shown, count: document.getElementById("count").textContent };
        })()`);
        assert.deepEqual(filtered.shown, ["file-2.txt", "file-10.txt"]);
        assert.equal(filtered.count, `2 of ${names.length}`);
        await shot("listing-filtered");
        const none = await browser.evaluate<boolean>(`(() => {
          const input = document.getElementById("filter");
          input.value = "zzz";
          input.dispatchEvent(new Event("input"));
          return !document.getElementById("none").hidden;
        })()`);
        assert.ok(none, "a line says nothing matches");
        assert.deepEqual(browser.problems, []);
        await browser.open(`${server.url}/sub%20dir/`);
        assert.equal(
          await browser.evaluate<string>(`document.querySelector("h1").textContent`),
          "Index of /sub dir/",
        );
        const parent = await browser.evaluate<string>(`document.querySelector("tr.up a").href`);
        assert.equal(parent, url);
        await browser.open(`${server.url}/empty/`);
        assert.match(
          await browser.evaluate<string>(`document.querySelector("tbody").textContent`),
          /This folder is empty\./,
        );
        await shot("listing-empty");
        assert.deepEqual(browser.problems, []);
      });
    } finally {
      await server.stop();
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "the 404 page shows the path asked for, escaped, with a link home, light and dark",
  ignore,
  fn: async () => {
    const server = await TestServer.start(["--quiet"]);
    try {
      await withBrowser(async (browser, shot) => {
        const url = `${server.url}/no/such/%3Cimg%20src=x%20onerror=alert(1)%3E.html`;
        await browser.open(url);
        const seen = await browser.evaluate<
          { h1: string; text: string; home: string; imgs: number }
        >(
          `({
            h1: document.querySelector("h1").textContent,
            text: document.querySelector("main p").textContent,
            home: document.querySelector("nav a").href,
            imgs: document.querySelectorAll("img").length,
          })`,
        );
        assert.equal(seen.h1, "404 Not Found");
        assert.equal(seen.text, "Nothing is served at /no/such/<img src=x onerror=alert(1)>.html");
        assert.equal(seen.imgs, 0, "the path is text, not markup");
        assert.equal(seen.home, `${server.url}/`);
        assert.deepEqual(unexpected(browser.problems, url), []);
        await shot("not-found-light");
        await browser.colorScheme("dark");
        await shot("not-found-dark");
      });
    } finally {
      await server.stop();
    }
  },
});

/** A name longer than a phone's row, with no space to break at. */
const LONG_NAME = "a-very-long-file-name-that-keeps-going-quarterly-report-final-v2-reviewed.pdf";

Deno.test({
  name:
    "a listing on a phone: breadcrumbs look like links, a long name wraps beside its icon, folder links keep the sort",
  ignore,
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "heiretsu-browser-" });
    await Deno.mkdir(`${root}/sub dir/deeper`, { recursive: true });
    await Deno.writeTextFile(`${root}/sub dir/${LONG_NAME}`, "x\n");
    await Deno.writeTextFile(`${root}/sub dir/deeper/inner.txt`, "inner\n");
    const server = await TestServer.start(["--root", root, "--list", "--quiet"]);
    const browser = await Browser.launch(chromium.path!, { width: 375, height: 800 });
    try {
      await browser.open(`${server.url}/sub%20dir/?sort=size&order=desc`);
      const seen = await browser.evaluate<{
        heading: string;
        crumbs: string[];
        lines: number;
        iconRight: number;
        textLeft: number;
        folder: string;
        parent: string;
      }>(`(() => {
        const h1 = document.querySelector("h1");
        const row = document.querySelector('tr[data-name="${LONG_NAME}"]');
        const rects = [...row.querySelector("a").getClientRects()];
        return {
          heading: getComputedStyle(h1).color,
          crumbs: [...h1.querySelectorAll("a")].map((a) => getComputedStyle(a).color),
          lines: Math.round(row.querySelector("a").getBoundingClientRect().height /
            parseFloat(getComputedStyle(row.querySelector("a")).lineHeight)),
          iconRight: row.querySelector("svg").getBoundingClientRect().right,
          textLeft: Math.min(...rects.map((r) => r.left)),
          folder: document.querySelector('tr[data-name="deeper"] a').getAttribute("href"),
          parent: document.querySelector("tr.up a").getAttribute("href"),
        };
      })()`);
      for (const colour of seen.crumbs) {
        assert.notEqual(colour, seen.heading, "a link, not the heading");
      }
      assert.ok(seen.lines >= 2, `the long name wraps (${seen.lines} lines)`);
      assert.ok(
        seen.textLeft >= seen.iconRight,
        `every line beside the icon: ${JSON.stringify(seen)}`,
      );
      assert.equal(seen.folder, "deeper/?sort=size&order=desc");
      assert.equal(seen.parent, "../?sort=size&order=desc");
      await browser.open(`${server.url}/sub%20dir/${seen.folder}`);
      const sorted = await browser.evaluate<string>(
        `document.querySelector("th[aria-sort]").getAttribute("aria-sort")`,
      );
      assert.equal(sorted, "descending");
      assert.deepEqual(browser.problems, []);
    } finally {
      await browser.close();
      await server.stop();
      await Deno.remove(root, { recursive: true });
    }
  },
});
