import { readFile } from 'node:fs/promises';

/** The prompts the agent uses, each shipped as `prompts/<name>.<version>.md`. */
export const codegenPromptVersions = {
  intent: 'v1',
  plan: 'v1',
  generate: 'v3',
  edit: 'v2',
  fix: 'v2',
  answer: 'v1',
  'validation-fix': 'v1',
  'connector-tools': 'v1',
} as const;

/** The name of one of the agent's prompts. */
export type CodegenPromptName = keyof typeof codegenPromptVersions;

/** Every prompt name, in a stable order. */
export const codegenPromptNames = Object.keys(codegenPromptVersions) as CodegenPromptName[];

/** The prompt texts one agent instance uses (shipped files merged with overrides). */
export type CodegenPrompts = Readonly<Record<CodegenPromptName, string>>;

/**
 * Loads the shipped prompt files, relative to this module so it works from `src/` and from
 * the bundled `dist/` alike, and lays the embedder's overrides on top. Overridden prompts
 * are not read from disk.
 */
export async function loadCodegenPrompts(overrides: Partial<Record<CodegenPromptName, string>> = {}): Promise<CodegenPrompts> {
  const directory = new URL('../prompts/', import.meta.url);
  const entries = await Promise.all(
    codegenPromptNames.map(async (name) => {
      const override = overrides[name];
      if (override !== undefined) return [name, override] as const;
      const text = await readFile(new URL(`${name}.${codegenPromptVersions[name]}.md`, directory), 'utf8');
      return [name, text.trim()] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<CodegenPromptName, string>;
}

/** Replaces `{{key}}` placeholders; unknown placeholders are left as they are. */
export function fillPrompt(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (match, key: string) => (key in values ? String(values[key]) : match));
}
