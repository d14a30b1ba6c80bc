import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packageSource = (name: string, entry = 'index.ts') =>
  fileURLToPath(new URL(`./packages/${name}/src/${entry}`, import.meta.url));

// Tests run against each package's source, so the suite never depends on a prior build.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@vector\/core\/testing$/, replacement: packageSource('core', 'testing.ts') },
      { find: /^@vector\/core$/, replacement: packageSource('core') },
      { find: /^@vector\/storage-internal$/, replacement: packageSource('storage-internal') },
      { find: /^@vector\/storage-github$/, replacement: packageSource('storage-github') },
      { find: /^@vector\/provider-railway$/, replacement: packageSource('provider-railway') },
      { find: /^@vector\/provider-render$/, replacement: packageSource('provider-render') },
      { find: /^@vector\/provider-local$/, replacement: packageSource('provider-local') },
      { find: /^@vector\/provider-docker$/, replacement: packageSource('provider-docker') },
      { find: /^@vector\/data-client$/, replacement: packageSource('data-client') },
      { find: /^@vector\/agent-codegen$/, replacement: packageSource('agent-codegen') },
      { find: /^@vector\/server$/, replacement: packageSource('server') },
      { find: /^@vector\/console$/, replacement: packageSource('console') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'scripts/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
