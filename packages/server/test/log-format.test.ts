import { describe, expect, it } from 'vitest';
import { createLogDestination, type LogFormat, resolveLogFormat } from '../src/plumbing/create-log-destination.js';
import { createPreviewGateway } from '../src/previews/create-preview-gateway.js';

const secrets = ['Bearer sk-authorization-secret', 'session=cookie-secret', 'vk_api-key-secret', 'stream-token-secret'];

/** A listener logging through `format` into memory, after one request and one log call that carry every kind of secret. */
async function logsOf(format: LogFormat): Promise<string[]> {
  const lines: string[] = [];
  const stream = createLogDestination({ format, destination: { write: (line) => void lines.push(line) } });
  const gateway = createPreviewGateway({ baseUrl: 'http://{id}.preview.localhost/', source: { resolveUpstream: () => null }, logger: { level: 'info', stream } });
  try {
    await gateway.inject({
      method: 'GET',
      url: '/?access_token=stream-token-secret',
      headers: { host: 'abc.preview.localhost', authorization: 'Bearer sk-authorization-secret', cookie: 'session=cookie-secret', 'x-api-key': 'vk_api-key-secret' },
    });
    // Application code that logs headers gets them redacted too.
    gateway.log.info({ headers: { authorization: 'Bearer sk-authorization-secret', cookie: 'session=cookie-secret', 'x-api-key': 'vk_api-key-secret' } }, 'headers seen');
  } finally {
    await gateway.close();
  }
  return lines;
}

describe('log formats', () => {
  it('writes one JSON object a line in json format, secrets redacted', async () => {
    const lines = await logsOf('json');
    const records = lines.map((line) => JSON.parse(line) as { msg?: string; req?: { url?: string }; headers?: Record<string, string> });
    expect(records.find((record) => record.msg === 'incoming request')?.req?.url).toBe('/?access_token=[redacted]');
    expect(records.find((record) => record.msg === 'headers seen')?.headers).toEqual({ authorization: '[Redacted]', cookie: '[Redacted]', 'x-api-key': '[Redacted]' });
    for (const secret of secrets) expect(lines.join('')).not.toContain(secret);
  });

  it('writes human-readable lines in pretty format, with the same redactions', async () => {
    const lines = await logsOf('pretty');
    const output = lines.join('');
    expect(output).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: incoming request$/m);
    expect(output).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: headers seen$/m);
    expect(output).toContain('"url": "/?access_token=[redacted]"');
    expect(output).toContain('"authorization": "[Redacted]"');
    // Not JSON: no line parses as an object, and no colour codes unless asked for.
    for (const line of output.split('\n').filter((text) => text.startsWith('['))) expect(() => JSON.parse(line)).toThrow();
    expect(output).not.toContain('\u001b[');
    for (const secret of secrets) expect(output).not.toContain(secret);
  });

  it('passes a line that is not JSON through once', () => {
    const lines: string[] = [];
    createLogDestination({ format: 'pretty', destination: { write: (line) => void lines.push(line) } }).write('plain text\n');
    expect(lines).toEqual(['plain text\n']);
  });

  it('picks pretty for a terminal and JSON otherwise unless LOG_FORMAT says', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });
});
