import type { DockerClient } from './docker-client.js';
import { createLineSplitter } from './line-splitter.js';

/**
 * Follows a container's output (`GET /containers/{id}/logs?follow=1`) and calls `onLine` per
 * line as it is written. Without a TTY the daemon multiplexes stdout and stderr into frames:
 * an 8-byte header (stream 1 or 2, three zero bytes, a big-endian 32-bit length), then the
 * payload. Resolves when the stream ends, which happens when the container stops, or when
 * `signal` aborts.
 */
export async function followContainerLogs(input: {
  client: DockerClient;
  containerId: string;
  /** Unix time in seconds: only output written since (after a restart of the provider). */
  since?: number;
  signal: AbortSignal;
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
}): Promise<void> {
  const splitters = {
    stdout: createLineSplitter((line) => input.onLine('stdout', line)),
    stderr: createLineSplitter((line) => input.onLine('stderr', line)),
  };
  let pending: Buffer = Buffer.alloc(0);
  try {
    const response = await input.client.stream('GET', `/containers/${encodeURIComponent(input.containerId)}/logs`, {
      query: { follow: true, stdout: true, stderr: true, ...(input.since === undefined ? {} : { since: input.since }) },
      signal: input.signal,
    });
    for await (const chunk of response) {
      pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
      while (pending.length >= 8) {
        const length = pending.readUInt32BE(4);
        if (pending.length < 8 + length) break;
        const stream = pending[0] === 2 ? 'stderr' : 'stdout';
        splitters[stream].push(pending.subarray(8, 8 + length).toString('utf8'));
        pending = pending.subarray(8 + length);
      }
    }
  } catch (error) {
    if (!input.signal.aborted) throw error;
  } finally {
    splitters.stdout.end();
    splitters.stderr.end();
  }
}
