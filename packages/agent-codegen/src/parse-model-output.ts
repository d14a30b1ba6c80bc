/** What the agent does with a message. */
export type CodegenIntent = 'generate' | 'edit' | 'fix' | 'question';

/**
 * Reads the classifier's answer: the first of the four intent words it contains. An
 * unclear answer falls back to `generate` for an empty project and `edit` otherwise, and
 * an empty project can only be generated or asked about.
 */
export function parseIntent(answer: string, fileCount: number): CodegenIntent {
  const match = /\b(generate|edit|fix|question)\b/i.exec(answer)?.[1]?.toLowerCase() as CodegenIntent | undefined;
  const intent = match ?? (fileCount === 0 ? 'generate' : 'edit');
  if (fileCount === 0 && (intent === 'edit' || intent === 'fix')) return 'generate';
  return intent;
}

/** A parsed plan: numbered or bulleted lines become steps, the first other line the summary. */
export function parsePlan(text: string): { steps: string[]; summary: string | undefined } {
  const steps: string[] = [];
  let summary: string | undefined;
  for (const line of text.split('\n')) {
    const item = /^\s*(?:\d+[.)]|[-*•])\s+(.+)$/.exec(line)?.[1]?.trim();
    if (item) steps.push(item.slice(0, 500));
    else if (summary === undefined && line.trim() !== '') summary = line.trim().replace(/^#+\s*/, '').slice(0, 500);
  }
  if (steps.length === 0 && summary !== undefined) return { steps: [summary], summary };
  return { steps: steps.slice(0, 20), summary };
}
