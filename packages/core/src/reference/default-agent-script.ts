import type { AgentRunContext } from '../plugins/agent.js';
import type { AgentEvent } from '../schemas/agent-event.js';

const notePattern = /^notes\/(\d+)\.md$/;

/**
 * The script {@link createScriptedAgent} plays when given none: it looks at the project's
 * files like a real agent would, then writes the user's message to the next free
 * `notes/<n>.md`, so every run yields a real new version.
 */
export async function* defaultAgentScript(context: AgentRunContext): AsyncGenerator<AgentEvent> {
  yield { type: 'intent', intent: 'edit', detail: 'Record the message as a note' };
  yield { type: 'plan', steps: ['List the project files', 'Write the message to a new note'], summary: 'Save the message as a note' };
  yield { type: 'tool_call', callId: 'list-files-1', name: 'list_files', arguments: {} };
  const files = await context.files.list();
  yield { type: 'tool_result', callId: 'list-files-1', ok: true, output: { count: files.length, paths: files.slice(0, 50).map((file) => file.path) } };
  const taken = files.map((file) => Number(notePattern.exec(file.path)?.[1] ?? 0));
  const number = Math.max(0, ...taken) + 1;
  const path = `notes/${number}.md`;
  const content = `# Note ${number}\n\n${context.message.content}\n`;
  // Deterministic pseudo-usage so budget accounting is exercised: about four characters a token.
  const promptTokens = Math.ceil((context.message.content.length + files.length * 16) / 4) + 20;
  const completionTokens = Math.ceil(content.length / 4);
  yield { type: 'usage', model: 'scripted', usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens } };
  yield { type: 'tool_call', callId: 'write-file-1', name: 'write_file', arguments: { path } };
  yield { type: 'tool_result', callId: 'write-file-1', ok: true, output: { path, bytes: Buffer.byteLength(content) } };
  yield { type: 'file_changed', path, change: 'created' };
  yield {
    type: 'result',
    changes: [{ type: 'write', path, content }],
    commitMessage: `Add note ${number}`,
    summary: `I saved your message to ${path}.`,
    validationStatus: 'not_run',
  };
}
