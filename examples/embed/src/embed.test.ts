import { expect, it } from 'vitest';
import { runEmbedExample } from './main.js';

it('embeds Vector: two versions, their diff, and a live preview serving version 2', async () => {
  const lines: string[] = [];
  const { previewUrl, diff, shutdown } = await runEmbedExample({ log: (line) => lines.push(line) });
  try {
    expect(diff.map((file) => [file.path, file.status])).toEqual([['index.html', 'modified']]);
    expect(diff[0]?.patch).toContain('-<h1>Hello</h1>');
    expect(diff[0]?.patch).toContain('+<h1>Hello, world!</h1>');
    expect(lines.at(-1)).toBe(`preview of version 2: ${previewUrl}`);
    expect(previewUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);

    const page = await fetch(previewUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<h1>Hello, world!</h1>');
    const style = await fetch(new URL('style.css', previewUrl));
    expect(await style.text()).toBe('h1 { color: navy; }\n');
  } finally {
    await shutdown();
  }
  // After shutdown the preview server is closed.
  await expect(fetch(previewUrl)).rejects.toThrow();
});
