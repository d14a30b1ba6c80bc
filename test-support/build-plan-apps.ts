/**
 * The apps the Railway and Render build-plan tests deploy to their fakes: one per kind of plan
 * (a static site, a Vite single-page app, a Node server), as text files by path.
 */
export type Files = Record<string, string>;

/** `value` as a pretty-printed JSON file. */
export const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export const staticSite: Files = { 'index.html': '<!doctype html><h1>Hello</h1><script src="app.js"></script>\n', 'app.js': 'console.log("hi");\n' };
export const viteApp: Files = {
  'package.json': json({ name: 'spa', private: true, scripts: { dev: 'vite', build: 'vite build' }, devDependencies: { vite: '^7.0.0' } }),
  'package-lock.json': '{}\n',
  'index.html': '<!doctype html><div id="root"></div><script type="module" src="/src/main.js"></script>\n',
  'src/main.js': 'document.getElementById("root").textContent = "spa";\n',
};
export const nodeServer: Files = {
  'package.json': json({ name: 'api', scripts: { build: 'tsc', start: 'node dist/server.js' }, dependencies: { fastify: '^5.0.0' }, devDependencies: { typescript: '^5.9.0' } }),
  'package-lock.json': '{}\n',
  'tsconfig.json': '{}\n',
  'src/server.ts': 'export {};\n',
};
