import { agentConformance } from '@vector/core/testing';
import { agentFor, intentAndPlan } from './agent-test-helpers.js';
import { startFakeOpenAIServer } from './fake-openai-server.js';

// Each agent gets its own fake, scripted for the scenario the kit asks for.
agentConformance({
  name: 'codegen',
  stopTimeoutMs: 5_000,
  create: async (scenario) => {
    const fake = await startFakeOpenAIServer();
    if (scenario === 'complete') {
      fake.enqueue(
        ...intentAndPlan('edit', ['Add notes/hello.md']),
        { text: 'Adding the note.', toolCalls: [{ name: 'write_file', arguments: { path: 'notes/hello.md', content: 'Hello, team!\n' } }] },
        { toolCalls: [{ name: 'finish', arguments: { commit_message: 'Add a hello note', summary: 'I added notes/hello.md.' } }] },
      );
    } else {
      fake.enqueue({ text: 'edit' }, { text: `Plan.\n${'1. step\n'.repeat(200)}`, chunkDelayMs: 50 });
    }
    return { agent: agentFor(fake), cleanup: () => fake.close() };
  },
});
