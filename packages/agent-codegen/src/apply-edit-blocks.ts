/** One exact search/replace block of the `edit_file` tool. */
export interface EditBlock {
  search: string;
  replace: string;
}

/** Outcome of applying blocks: the new text, or a message the model can act on. */
export type EditBlocksResult = { ok: true; content: string } | { ok: false; error: string };

/**
 * Applies search/replace blocks in order, all or nothing. Each `search` must occur exactly
 * once in the text as it is after the previous blocks; anything else fails with a message
 * that says which block, why, and (when the first line occurs) what the file really holds
 * there, so the model can copy the exact text on its next try.
 */
export function applyEditBlocks(path: string, original: string, blocks: ReadonlyArray<EditBlock>): EditBlocksResult {
  let content = original;
  for (const [index, block] of blocks.entries()) {
    const label = blocks.length > 1 ? `Block ${index + 1} of ${blocks.length}` : 'The block';
    if (block.search.length === 0) return { ok: false, error: `${label} has an empty search text; quote the exact lines to replace, or use write_file for a new file.` };
    const first = content.indexOf(block.search);
    if (first === -1) return { ok: false, error: `${label}: the search text was not found in ${path}. ${closestHint(content, block.search)}No edits were applied; read the file again and copy the lines exactly.` };
    if (content.indexOf(block.search, first + 1) !== -1) {
      return { ok: false, error: `${label}: the search text occurs ${countOccurrences(content, block.search)} times in ${path}; include more surrounding lines so it matches exactly once. No edits were applied.` };
    }
    content = content.slice(0, first) + block.replace + content.slice(first + block.search.length);
  }
  return { ok: true, content };
}

function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count += 1;
  return count;
}

const maxHintLineChars = 300;

// Models most often get indentation or one line wrong; showing the real lines around the
// first search line lets them correct the block without another read.
function closestHint(content: string, search: string): string {
  const firstLine = search.split('\n').find((line) => line.trim().length > 0)?.trim();
  if (!firstLine) return '';
  const lines = content.split('\n');
  const at = lines.findIndex((line) => line.trim() === firstLine);
  if (at === -1) return '';
  // Cap each line: the match may be one line of a minified file.
  const excerpt = lines
    .slice(at, at + Math.min(search.split('\n').length + 2, 20))
    .map((line) => (line.length > maxHintLineChars ? `${line.slice(0, maxHintLineChars)}… (line cut at ${maxHintLineChars} characters)` : line))
    .join('\n');
  return `Its first line occurs at line ${at + 1}, where the file reads:\n${excerpt}\n`;
}
