/**
 * The repository's documents hold together: every relative link of every Markdown file points at
 * a file that exists (and, with `#anchor`, at one of its headings), no link leaves the repository,
 * and the README links to every document in docs/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '../../support/paths.js';

const SKIP = new Set(['node_modules', 'dist', '.git', 'out']);

function markdownFiles(dir = REPO): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...markdownFiles(p));
    else if (e.name.endsWith('.md')) out.push(p);
  }
  return out;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
export function slug(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replaceAll(' ', '-');
}

function anchors(text: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const h = !fenced && /^#{1,6} (.+)$/.exec(line);
    if (h) out.add(slug(h[1]!.trim()));
  }
  return out;
}

/** Relative links outside code: `[text](target)`, `target` without a scheme. */
function links(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

test('every relative link of every Markdown file points at an existing file and heading inside the repository', () => {
  const broken: string[] = [];
  for (const file of markdownFiles()) {
    const name = path.relative(REPO, file);
    for (const link of links(readFileSync(file, 'utf8'))) {
      const [target, anchor] = link.split('#') as [string, string | undefined];
      const resolved = target === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(target));
      if (path.relative(REPO, resolved).startsWith('..')) {
        broken.push(`${name}: ${link} leaves the repository`);
      } else if (!existsSync(resolved)) {
        broken.push(`${name}: ${link} (no such file)`);
      } else if (anchor !== undefined && statSync(resolved).isFile() && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).has(anchor)) {
        broken.push(`${name}: ${link} (no such heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

test('the README links to every document in docs/', () => {
  const readme = links(readFileSync(path.join(REPO, 'README.md'), 'utf8'));
  const docs = readdirSync(path.join(REPO, 'docs')).filter((f) => f.endsWith('.md'));
  assert.deepEqual(docs.filter((d) => !readme.includes(`docs/${d}`)), []);
});

test('the README stays a quick start: under 15 KB', () => {
  assert.ok(statSync(path.join(REPO, 'README.md')).size < 15 * 1024);
});

test('no file of the repository refers to the notes folder beside a developer checkout', () => {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (SKIP.has(e.name) || e.name === 'fixtures') continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|md|sh|json|ya?ml|toml)$|^Dockerfile$|^run$/.test(e.name) && e.name !== 'package-lock.json') {
        if (/\.\.\/shared\b/.test(readFileSync(p, 'utf8'))) found.push(path.relative(REPO, p));
      }
    }
  };
  walk(REPO);
  assert.deepEqual(found.filter((f) => f !== 'test/unit/docs/links.test.ts'), []);
});
