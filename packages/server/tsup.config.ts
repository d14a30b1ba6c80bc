import { packageBuild } from '../../tsup.base.js';

// Declaration files for the library entry only: src/main.ts is the server's command.
export default packageBuild(['src/index.ts', 'src/main.ts'], { dtsEntry: 'src/index.ts' });
