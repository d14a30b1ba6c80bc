import { describe, expect, it } from 'vitest';
import { createNetworkGuard } from './network-guard.js';

const blocked = (host: string, address: string, range: string) => ({
  code: 'BLOCKED_ADDRESS',
  message: `${host} resolves to ${address}, a ${range} address, which the server's configuration does not let connectors reach`,
});

describe('the connectors’ network guard', () => {
  it('refuses every special range by name, and lets public unicast addresses through', async () => {
    const guard = createNetworkGuard();
    expect(await guard.check('http://127.0.0.1:3000/mcp')).toEqual(blocked('127.0.0.1', '127.0.0.1', 'loopback'));
    expect(await guard.check('http://10.0.0.1/')).toEqual(blocked('10.0.0.1', '10.0.0.1', 'private'));
    expect(await guard.check('http://169.254.169.254/latest')).toEqual(blocked('169.254.169.254', '169.254.169.254', 'linkLocal'));
    expect(await guard.check('http://[::1]/')).toEqual(blocked('::1', '::1', 'loopback'));
    expect(await guard.check('http://[fd00::1]/')).toEqual(blocked('fd00::1', 'fd00::1', 'uniqueLocal'));
    // An IPv4 address written as IPv6 is judged as the IPv4 address it is.
    expect(await guard.check('http://[::ffff:10.0.0.1]/')).toMatchObject({ code: 'BLOCKED_ADDRESS', message: expect.stringContaining('a private address') });
    expect(await guard.check('http://8.8.8.8/mcp')).toBeNull();
    expect(await guard.check('https://[2606:4700:4700::1111]/mcp')).toBeNull();
  });

  it('resolves host names and refuses one that reaches a refused address', async () => {
    const guard = createNetworkGuard();
    const answer = await guard.check('http://LOCALHOST:8080/mcp');
    expect(answer).toMatchObject({ code: 'BLOCKED_ADDRESS', message: expect.stringMatching(/^localhost resolves to (127\.0\.0\.1|::1), a loopback address/) });
  });

  it('answers UNREACHABLE for a URL it cannot read', async () => {
    const guard = createNetworkGuard();
    expect(await guard.check('not a url')).toEqual({ code: 'UNREACHABLE', message: 'the URL is not valid' });
  });

  it('lets the operator allow host names, single addresses (IPv4, IPv6, bracketed, mapped) and ranges, and nothing beyond them', async () => {
    const guard = createNetworkGuard(['  MCP.Internal ', '', '   ', '127.0.0.1', '[::1]', '::ffff:10.9.9.9', '10.1.0.0/16', 'fd12::/16']);
    // A host name the operator allowed is not even resolved.
    expect(await guard.check('http://mcp.internal/mcp')).toBeNull();
    expect(await guard.check('http://127.0.0.1/')).toBeNull();
    expect(await guard.check('http://127.0.0.2/')).toEqual(blocked('127.0.0.2', '127.0.0.2', 'loopback'));
    expect(await guard.check('http://[::1]/')).toBeNull();
    expect(await guard.check('http://10.9.9.9/')).toBeNull();
    expect(await guard.check('http://10.1.255.254/')).toBeNull();
    expect(await guard.check('http://10.2.0.1/')).toEqual(blocked('10.2.0.1', '10.2.0.1', 'private'));
    expect(await guard.check('http://[fd12::5]/')).toBeNull();
    expect(await guard.check('http://[fd13::5]/')).toEqual(blocked('fd13::5', 'fd13::5', 'uniqueLocal'));
    // A single IPv6 address allows that address only (all 128 bits), a single IPv4 address all 32 bits.
    const single = createNetworkGuard(['fd00::1', '10.0.0.1']);
    expect(await single.check('http://[fd00::1]/')).toBeNull();
    expect(await single.check('http://[fd00::2]/')).toEqual(blocked('fd00::2', 'fd00::2', 'uniqueLocal'));
    expect(await single.check('http://10.0.0.1/')).toBeNull();
    expect(await single.check('http://10.0.0.2/')).toEqual(blocked('10.0.0.2', '10.0.0.2', 'private'));
    // Entries of one family are never compared with addresses of the other: public addresses of both pass.
    expect(await guard.check('https://[2606:4700:4700::1111]/mcp')).toBeNull();
    expect(await guard.check('http://8.8.8.8/mcp')).toBeNull();
  });
});
