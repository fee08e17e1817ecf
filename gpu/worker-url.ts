/**
 * Where a worker module lives and how Node must start it. Compiled code references workers as
 * `new URL('./x.js', import.meta.url)`; under vitest/tsx the same expression points next to a `.ts`
 * source, so we fall back to the `.ts` sibling and load it through tsx.
 *
 * Node 20 ignores `--import tsx` in a Worker's execArgv (the hooks are not applied to the worker's
 * entry module: "Unknown file extension .ts"), so a `.ts` worker starts from a tiny `data:` bootstrap
 * that registers tsx's ESM hooks inside the worker and then imports the real module.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface WorkerSpec {
  url: URL;
  execArgv: string[];
}

export function workerSpec(moduleUrl: URL): WorkerSpec {
  const url = resolveSource(moduleUrl);
  if (!/\.[cm]?ts$/.test(url.pathname)) return { url, execArgv: [] };
  const code =
    `const { register } = await import(${JSON.stringify(tsxApi())});\n` +
    `register();\n` +
    `await import(${JSON.stringify(url.href)});\n`;
  return { url: new URL(`data:text/javascript,${encodeURIComponent(code)}`), execArgv: [] };
}

/** `.js` that does not exist (running from source) → the `.ts` sibling, when that one exists. */
function resolveSource(moduleUrl: URL): URL {
  if (moduleUrl.protocol !== 'file:' || !moduleUrl.pathname.endsWith('.js')) return moduleUrl;
  if (existsSync(fileURLToPath(moduleUrl))) return moduleUrl;
  const ts = new URL(moduleUrl.href.replace(/\.js$/, '.ts'));
  return existsSync(fileURLToPath(ts)) ? ts : moduleUrl;
}

let tsxApiUrl: string | undefined;

/** Absolute URL of tsx's ESM API (its `import` export), so the bootstrap works from any cwd. */
function tsxApi(): string {
  if (tsxApiUrl) return tsxApiUrl;
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as {
    exports: Record<string, { import?: { default?: string } } | string>;
  };
  const entry = pkg.exports['./esm/api'];
  const rel = typeof entry === 'object' ? entry.import?.default : undefined;
  if (!rel) throw new Error('tsx has no ./esm/api import entry; cannot run TypeScript workers');
  tsxApiUrl = pathToFileURL(join(dirname(pkgPath), rel)).href;
  return tsxApiUrl;
}
