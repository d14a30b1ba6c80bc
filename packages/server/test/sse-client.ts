/** One parsed Server-Sent Event. */
export interface SseFrame {
  id?: string;
  event?: string;
  data: string;
}

/**
 * Reads an SSE stream over real HTTP until the server ends it (or `until` says stop), and
 * answers the frames. A tiny parser: enough for the server's one-line `data:` frames.
 */
export async function readSse(url: string, options: { headers?: Record<string, string>; until?: (frame: SseFrame) => boolean; onFrame?: (frame: SseFrame) => void; signal?: AbortSignal } = {}): Promise<{ status: number; frames: SseFrame[]; contentType: string | null }> {
  const controller = new AbortController();
  options.signal?.addEventListener('abort', () => controller.abort());
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...options.headers }, signal: controller.signal });
  const frames: SseFrame[] = [];
  if (!response.body || !response.ok) return { status: response.status, frames, contentType: response.headers.get('content-type') };
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk, { stream: true });
      let index = buffer.indexOf('\n\n');
      while (index >= 0) {
        const block = buffer.slice(0, index);
        buffer = buffer.slice(index + 2);
        index = buffer.indexOf('\n\n');
        const frame: SseFrame = { data: '' };
        let hasData = false;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const [field, ...rest] = line.split(':');
          const value = rest.join(':').replace(/^ /, '');
          if (field === 'id') frame.id = value;
          else if (field === 'event') frame.event = value;
          else if (field === 'data') {
            frame.data += value;
            hasData = true;
          }
        }
        if (!hasData) continue;
        frames.push(frame);
        options.onFrame?.(frame);
        if (options.until?.(frame)) {
          controller.abort();
          return { status: response.status, frames, contentType: response.headers.get('content-type') };
        }
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  }
  return { status: response.status, frames, contentType: response.headers.get('content-type') };
}
