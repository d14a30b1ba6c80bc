import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Decides which addresses connectors may reach. Only public unicast addresses pass, unless
 * the operator allows more: `allow` lists host names (`mcp.internal`), addresses
 * (`127.0.0.1`) and ranges (`10.0.0.0/8`). Loopback, private, link-local (cloud metadata),
 * carrier-grade NAT, unique-local and other special ranges are refused, so a user cannot
 * point a connector at the server's own network.
 */
export interface NetworkGuard {
  /** Resolves the URL's host and returns why it cannot be reached, or null when it may be. */
  check(url: string): Promise<{ code: 'BLOCKED_ADDRESS' | 'UNREACHABLE'; message: string } | null>;
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

function normalise(address: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const parsed = ipaddr.parse(address);
  return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress() ? (parsed as ipaddr.IPv6).toIPv4Address() : parsed;
}

/** Builds the guard from the operator's allow-list. */
// Stryker disable next-line ArrayDeclaration: an entry that is no host name, address or range allows nothing
export function createNetworkGuard(allow: readonly string[] = []): NetworkGuard {
  const hosts = new Set<string>();
  const ranges: Range[] = [];
  for (const entry of allow) {
    const value = entry.trim().toLowerCase();
    // Stryker disable next-line ConditionalExpression,StringLiteral: an empty entry would only allow the host name '', which no URL has
    if (value === '') continue;
    if (value.includes('/')) {
      ranges.push(ipaddr.parseCIDR(value) as Range);
      continue;
    }
    // Stryker disable next-line Regex: a bracket anywhere but the ends never leaves an IP address either way
    const bare = value.replace(/^\[|\]$/g, '');
    if (isIP(bare)) {
      const address = normalise(bare);
      // Stryker disable next-line ConditionalExpression: ipaddr compares an IPv4 address over its 32 bits however many are asked for
      ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else hosts.add(value);
  }
  const allowed = (address: ipaddr.IPv4 | ipaddr.IPv6) => ranges.some(([base, bits]) => base.kind() === address.kind() && address.match([base, bits] as never));
  return {
    async check(url) {
      let host: string;
      try {
        // Stryker disable next-line Regex: a URL's hostname holds brackets only at its ends (an IPv6 address)
        host = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
      } catch {
        return { code: 'UNREACHABLE', message: 'the URL is not valid' };
      }
      if (hosts.has(host)) return null;
      let addresses: string[];
      // Stryker disable next-line ConditionalExpression: looking up an address gives back that address (no DNS query is made for one)
      if (isIP(host)) addresses = [host];
      else {
        try {
          // Stryker disable next-line BooleanLiteral: the order of the addresses does not matter, every one is checked
          addresses = (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
        } catch {
          return { code: 'UNREACHABLE', message: `the host ${host} does not resolve` };
        }
      }
      for (const text of addresses) {
        const address = normalise(text);
        if (allowed(address)) continue;
        const range = address.range();
        if (range !== 'unicast') return { code: 'BLOCKED_ADDRESS', message: `${host} resolves to ${text}, a ${range} address, which the server's configuration does not let connectors reach` };
      }
      return null;
    },
  };
}
