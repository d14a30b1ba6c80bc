/**
 * Rough token count of a text: one token per 4 characters, the usual rule of thumb for
 * English and code with GPT-style tokenizers. Used for context budgeting and for endpoints
 * that report no usage; never billed.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
