/**
 * A stand-in for the Microsoft Entra ID token endpoint over HTTPS: it answers a service
 * principal's or workload identity's `POST /<tenant>/oauth2/v2.0/token` with a JWT-shaped
 * access token that Azurite's `--oauth basic` accepts (storage audience, an `sts.windows.net`
 * issuer, a valid lifetime; Azurite does not check the signature). Records every request.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';

export interface TokenIssuer {
  /** https://127.0.0.1:<port>: the authority host. */
  url: string;
  requests: Array<{ method: string; url: string; form: URLSearchParams }>;
  stop(): Promise<void>;
}

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

export async function startTokenIssuer(cert: string, key: string, opts: { audience?: string } = {}): Promise<TokenIssuer> {
  const requests: TokenIssuer['requests'] = [];
  const server = https.createServer({ cert: await readFile(cert), key: await readFile(key) }, (req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      requests.push({ method: req.method!, url: req.url!, form: new URLSearchParams(body) });
      const tenant = req.url!.split('/')[1] ?? 'tenant';
      const now = Math.floor(Date.now() / 1000);
      const claims = { aud: opts.audience ?? 'https://storage.azure.com', iss: `https://sts.windows.net/${tenant}/`, iat: now - 60, nbf: now - 60, exp: now + 3600, tid: tenant };
      const token = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(claims)}.c2lnbmF0dXJl`;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ access_token: token, expires_in: 3600, token_type: 'Bearer' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
