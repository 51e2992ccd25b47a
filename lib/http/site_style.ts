/**
 * @module
 * The default site's stylesheet (`static/style.css`), held as text so the pages the server makes
 * itself (status pages, folder listings) look like the site with no request for a stylesheet;
 * `tests/http/pages_test.ts` checks the two stay the same.
 */

/** The text of `static/style.css`. */
export const SITE_STYLE = `:root {
  --bg: #f6f7fb;
  --card: #ffffff;
  --text: #1c1f2a;
  --muted: #5b6275;
  --border: #e2e5ee;
  --accent: #4f46e5;
  --ok: #0d9488;
  --code-bg: #f0f1f7;
  color-scheme: light dark;
}

@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1117;
    --card: #171a23;
    --text: #e6e8ef;
    --muted: #9aa1b5;
    --border: #2a2f3d;
    --accent: #8b85ff;
    --ok: #2dd4bf;
    --code-bg: #0b0d12;
  }
}

* {
  box-sizing: border-box;
}

body {
  margin: 0;
  min-height: 100vh;
  display: flex;
  flex-direction: column;
  align-items: center;
  background: var(--bg);
  color: var(--text);
  font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Hiragino Sans", "Noto Sans CJK JP", sans-serif;
}

main {
  width: 100%;
  max-width: 46rem;
  padding: 3rem 1.25rem 1rem;
}

header {
  display: flex;
  align-items: center;
  gap: 1.25rem;
  margin-bottom: 2rem;
}

header img {
  flex: none;
  filter: drop-shadow(0 6px 14px rgb(79 70 229 / 0.3));
}

h1 {
  margin: 0;
  font-size: 2.4rem;
  line-height: 1.1;
  letter-spacing: -0.02em;
}

h1 span {
  color: var(--muted);
  font-weight: 500;
  font-size: 0.6em;
  vertical-align: 0.25em;
  margin-left: 0.2em;
}

h2 {
  margin: 0 0 0.5rem;
  font-size: 1.15rem;
}

p {
  margin: 0.4rem 0;
}

.tagline {
  margin: 0.35rem 0 0;
  color: var(--muted);
  font-size: 1.1rem;
}

section {
  background: var(--card);
  border: 1px solid var(--border);
  border-radius: 14px;
  padding: 1.25rem 1.5rem;
  margin-bottom: 1.25rem;
}

.status {
  display: flex;
  gap: 1rem;
  align-items: flex-start;
  border-left: 4px solid var(--ok);
}

.dot {
  flex: none;
  width: 0.8rem;
  height: 0.8rem;
  margin-top: 0.45rem;
  border-radius: 50%;
  background: var(--ok);
  box-shadow: 0 0 0 5px color-mix(in srgb, var(--ok) 20%, transparent);
}

.status h2 {
  color: var(--ok);
}

[lang="ja"] {
  white-space: nowrap;
}

code {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 0.9em;
}

pre {
  margin: 0.5rem 0 1rem;
  padding: 0.75rem 1rem;
  overflow-x: auto;
  background: var(--code-bg);
  border: 1px solid var(--border);
  border-radius: 8px;
}

pre code::before {
  content: "$ ";
  color: var(--muted);
  user-select: none;
}

p code {
  padding: 0.1em 0.35em;
  background: var(--code-bg);
  border-radius: 4px;
}

.hint {
  color: var(--muted);
  font-size: 0.95rem;
}

.lanes {
  list-style: none;
  margin: 0;
  padding: 0;
  display: grid;
  gap: 0.6rem;
}

.lanes li {
  padding: 0.5rem 0.9rem;
  border-left: 3px solid var(--accent);
  background: color-mix(in srgb, var(--accent) 7%, transparent);
  border-radius: 0 8px 8px 0;
}

footer {
  padding: 1rem 0 2rem;
  color: var(--muted);
  font-size: 0.9rem;
}

@media (max-width: 480px) {
  main {
    padding: 1.75rem 0.85rem 0.5rem;
  }

  header {
    gap: 0.9rem;
  }

  header img {
    width: 56px;
    height: 56px;
  }

  h1 {
    font-size: 1.9rem;
  }

  section {
    padding: 1rem;
  }

  pre {
    padding: 0.6rem 0.7rem;
    font-size: 0.85rem;
  }
}
`;
