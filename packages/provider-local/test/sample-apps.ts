import { encodeText, type SourceFile } from '@vector/core';

/** Text files as SourceFiles. */
export function sourceFiles(files: Record<string, string>): SourceFile[] {
  return Object.entries(files).map(([path, content]) => ({ path, content: encodeText(content) }));
}

/** A real Vite + React + TypeScript app: a heading and a counter button. */
export function viteReactApp(overrides: Record<string, string | null> = {}): SourceFile[] {
  const files: Record<string, string | null> = {
    'package.json': JSON.stringify(
      {
        name: 'counter',
        private: true,
        type: 'module',
        scripts: { dev: 'vite', build: 'vite build' },
        dependencies: { react: '^19.2.0', 'react-dom': '^19.2.0' },
        devDependencies: { vite: '^8.0.0', '@vitejs/plugin-react': '^6.0.0', typescript: '~6.0.3', '@types/react': '^19.2.0', '@types/react-dom': '^19.2.0' },
      },
      null,
      2,
    ),
    'index.html': '<!doctype html>\n<html>\n  <head><title>Counter</title></head>\n  <body>\n    <div id="root"></div>\n    <script type="module" src="/src/main.tsx"></script>\n  </body>\n</html>\n',
    'vite.config.ts': "import { defineConfig } from 'vite';\nimport react from '@vitejs/plugin-react';\n\nexport default defineConfig({ plugins: [react()] });\n",
    'tsconfig.json': JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', jsx: 'react-jsx', strict: true, noEmit: true, skipLibCheck: true, types: [] }, include: ['src'] }, null, 2),
    'src/main.tsx': "import { createRoot } from 'react-dom/client';\nimport { App } from './App';\n\ncreateRoot(document.getElementById('root')!).render(<App />);\n",
    'src/App.tsx':
      "import { useState } from 'react';\n\nexport function App() {\n  const [count, setCount] = useState(0);\n  return (\n    <main>\n      <h1>Hello from Vector</h1>\n      <button onClick={() => setCount(count + 1)}>clicked {count} times</button>\n    </main>\n  );\n}\n",
    ...overrides,
  };
  return sourceFiles(Object.fromEntries(Object.entries(files).filter((entry): entry is [string, string] => entry[1] !== null)));
}

/** A Node HTTP server on PORT with no dependencies. */
export function nodeServerApp(body = 'hello from the server'): SourceFile[] {
  return sourceFiles({
    'package.json': JSON.stringify({ name: 'server', private: true, type: 'module', scripts: { start: 'node server.js' } }),
    'server.js': `import { createServer } from 'node:http';\nconst port = Number(process.env.PORT);\ncreateServer((request, response) => {\n  response.setHeader('content-type', 'text/plain');\n  response.end(${JSON.stringify(body)} + ' ' + (process.env.GREETING ?? '') + ' secret-visible=' + (process.env.API_TOKEN ? 'yes' : 'no') + ' home=' + process.env.HOME + ' leaked=' + (process.env.TEST_DATABASE_URL ?? 'none'));\n}).listen(port, process.env.HOST, () => console.log('listening on ' + port));\n`,
  });
}
