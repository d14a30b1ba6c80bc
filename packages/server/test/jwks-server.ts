import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';

/** What a test identity provider signs into a token, besides its claims. */
export interface SignOptions {
  /** Seconds from now; negative for a token already expired. Null leaves `exp` out. Default 300. */
  expiresInSeconds?: number | null;
  audience?: string;
  issuer?: string;
  /** Sign with a key the key set does not publish. */
  foreignKey?: boolean;
}

/**
 * A test identity provider on 127.0.0.1: it serves a JSON Web Key Set (one ES256 key) and
 * signs tokens with it. `setDown(true)` makes the key set answer 503; `requests` counts fetches.
 */
export async function startJwksServer(defaults: { issuer: string; audience: string }) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const foreign = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
  let down = false;
  let requests = 0;
  const server = createServer((request, response) => {
    requests += 1;
    if (down || request.url !== '/.well-known/jwks.json') {
      response.writeHead(down ? 503 : 404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get requests() {
      return requests;
    },
    setDown(value: boolean) {
      down = value;
    },
    /** A signed JWT with `claims`, `iss`, `aud`, `iat` and (unless told otherwise) `exp`. */
    async sign(claims: JWTPayload, options: SignOptions = {}): Promise<string> {
      const nowSeconds = Math.floor(Date.now() / 1000);
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: options.foreignKey ? 'unknown-key' : 'test-key' })
        .setIssuer(options.issuer ?? defaults.issuer)
        .setAudience(options.audience ?? defaults.audience)
        .setIssuedAt(nowSeconds - 60);
      const expiresIn = options.expiresInSeconds === undefined ? 300 : options.expiresInSeconds;
      if (expiresIn !== null) jwt.setExpirationTime(nowSeconds + expiresIn);
      return jwt.sign(options.foreignKey ? foreign.privateKey : privateKey);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
