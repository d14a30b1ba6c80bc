import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import type { Principal } from '../auth/principal.js';

/** Rate limits of the server: per caller, and a ceiling per client IP. */
export interface RateLimitOptions {
  /** Requests per window per caller: a verified API key (principal), else the client IP. */
  max: number;
  windowMs: number;
  /** Requests per window per client IP, counted before authentication. Default `10 × max`. */
  maxPerIp?: number;
}

/** The check run after authentication; it throws a 429 error once the budget is spent. */
export interface RateLimits {
  /**
   * Counts a request against its caller: the principal once its credentials are verified, the
   * IP otherwise. Unverified tokens never earn a budget of their own, so inventing a fresh
   * token per request does not escape the limit.
   */
  perCaller(request: FastifyRequest, reply: FastifyReply, principal: Principal | null): Promise<void>;
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

class RateLimitedError extends Error {
  readonly statusCode = 429;
}

// Skips routes that opt out (`config: { rateLimit: false }`, e.g. health checks).
function exempt(request: FastifyRequest): boolean {
  // Stryker disable next-line OptionalChaining: Fastify 5 gives every request a route config object (unmatched ones too), so `?.` never short-circuits.
  return request.routeOptions.config?.rateLimit === false;
}

async function check(limiter: Limiter, request: FastifyRequest, reply: FastifyReply, setHeaders: boolean): Promise<void> {
  const result = await limiter(request);
  if (result.isAllowed) return;
  if (setHeaders || result.isExceeded) {
    void reply.header('x-ratelimit-limit', result.max);
    void reply.header('x-ratelimit-remaining', result.remaining);
    void reply.header('x-ratelimit-reset', result.ttlInSeconds);
  }
  if (!result.isExceeded) return;
  void reply.header('retry-after', result.ttlInSeconds);
  throw new RateLimitedError(`Rate limit exceeded: retry in ${result.ttlInSeconds}s`);
}

/** Options of {@link rateLimitPlugin}. */
export interface RateLimitPluginOptions extends RateLimitOptions {
  /** Filled when the plugin loads with the per-caller check, for the auth plugin to run. */
  limits: { perCaller: RateLimits['perCaller'] | null };
}

/**
 * Registers `@fastify/rate-limit` (its in-memory store, none of its automatic hooks), adds the
 * per-IP `onRequest` hook, and hands the per-caller check over through `limits` so the auth
 * plugin runs it right after authenticating. Register before the auth plugin. Counts are per
 * process: behind a load balancer each process keeps its own.
 */
export const rateLimitPlugin = fastifyPlugin<RateLimitPluginOptions>(
  async (app: FastifyInstance, options) => {
    await app.register(fastifyRateLimit, { global: false, max: options.max, timeWindow: options.windowMs });
    // IPv6 clients usually own a whole /64; count it as one address.
    const ipOf = (request: FastifyRequest) => normalizeIP(request.ip, 64);
    const perIp = app.createRateLimit({ max: options.maxPerIp ?? options.max * 10, timeWindow: options.windowMs, keyGenerator: (request) => `ip:${ipOf(request)}` });
    const perCaller = app.createRateLimit({
      max: options.max,
      timeWindow: options.windowMs,
      keyGenerator: (request) => {
        const principal = request.principal;
        return principal ? `principal:${principal.organizationId}:${principal.actor.type}:${principal.actor.id}` : `anonymous:${ipOf(request)}`;
      },
    });
    app.addHook('onRequest', async (request, reply) => {
      if (!exempt(request)) await check(perIp, request, reply, false);
    });
    options.limits.perCaller = async (request, reply, principal) => {
      if (exempt(request)) return;
      // The key generator reads the principal from the request; set it before counting.
      request.principal = principal;
      await check(perCaller, request, reply, true);
    };
  },
  { name: 'vector-rate-limits', fastify: '5.x' },
);
