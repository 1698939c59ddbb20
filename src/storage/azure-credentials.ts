/**
 * Microsoft Entra ID (Azure AD) token credentials for Blob Storage, the chain object_store uses:
 * a static bearer token, a service principal secret, workload identity (a federated token file,
 * as injected by AKS), and managed identity (the instance metadata service, or App Service's
 * IDENTITY_ENDPOINT). @azure/identity is not a dependency of this project (only of a test tool),
 * so these few token requests are made here, with `fetch`.
 */
import { readFile } from 'node:fs/promises';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import type { AzureOptions } from './config.js';

const STORAGE_SCOPE = 'https://storage.azure.com/.default';
const STORAGE_RESOURCE = 'https://storage.azure.com';
const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com';
const IMDS_ENDPOINT = 'http://169.254.169.254/metadata/identity/oauth2/token';
/** Refresh this long before expiry. */
const REFRESH_MARGIN_MS = 5 * 60_000;

export class StaticTokenCredential implements TokenCredential {
  constructor(private readonly token: string) {}
  async getToken(): Promise<AccessToken> {
    return { token: this.token, expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

/** Caches a fetched token until shortly before it expires. */
abstract class CachedCredential implements TokenCredential {
  private cached: AccessToken | null = null;
  protected abstract fetchToken(signal: AbortSignal | undefined): Promise<AccessToken>;
  async getToken(_scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    if (this.cached && this.cached.expiresOnTimestamp - REFRESH_MARGIN_MS > Date.now()) return this.cached;
    this.cached = await this.fetchToken(options?.abortSignal as AbortSignal | undefined);
    return this.cached;
  }
}

interface TokenResponse {
  access_token?: string;
  expires_in?: number | string;
  expires_on?: number | string;
  error?: string;
  error_description?: string;
}

async function tokenRequest(what: string, url: string, init: RequestInit): Promise<AccessToken> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (e) {
    throw new Error(`${what}: cannot reach ${new URL(url).origin} (${(e as Error).message})`);
  }
  let body: TokenResponse = {};
  try {
    body = (await res.json()) as TokenResponse;
  } catch {
    /* not JSON */
  }
  if (!res.ok || !body.access_token) {
    // error_description may quote the request; keep only the error code and the first sentence.
    const why = body.error ? `${body.error}${body.error_description ? `: ${body.error_description.split(/\r?\n/)[0]!.split('. ')[0]}` : ''}` : `HTTP ${res.status}`;
    throw new Error(`${what} failed: ${why}`);
  }
  const expiresOn = body.expires_on !== undefined ? Number(body.expires_on) * 1000 : Date.now() + Number(body.expires_in ?? 3600) * 1000;
  return { token: body.access_token, expiresOnTimestamp: expiresOn };
}

export class ClientSecretCredential extends CachedCredential {
  constructor(
    private readonly tenantId: string,
    private readonly clientId: string,
    private readonly clientSecret: string,
    private readonly authorityHost = DEFAULT_AUTHORITY,
  ) {
    super();
  }
  protected fetchToken(signal: AbortSignal | undefined): Promise<AccessToken> {
    const form = new URLSearchParams({ client_id: this.clientId, client_secret: this.clientSecret, scope: STORAGE_SCOPE, grant_type: 'client_credentials' });
    return tokenRequest('service principal sign-in', `${this.authorityHost.replace(/\/+$/, '')}/${this.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: form, signal: signal ?? null });
  }
}

export class WorkloadIdentityCredential extends CachedCredential {
  constructor(
    private readonly tenantId: string,
    private readonly clientId: string,
    private readonly tokenFile: string,
    private readonly authorityHost = DEFAULT_AUTHORITY,
  ) {
    super();
  }
  protected async fetchToken(signal: AbortSignal | undefined): Promise<AccessToken> {
    const assertion = (await readFile(this.tokenFile, 'utf8')).trim();
    const form = new URLSearchParams({
      client_id: this.clientId,
      scope: STORAGE_SCOPE,
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
    return tokenRequest('workload identity sign-in', `${this.authorityHost.replace(/\/+$/, '')}/${this.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: form, signal: signal ?? null });
  }
}

export class ManagedIdentityCredential extends CachedCredential {
  constructor(private readonly o: Pick<AzureOptions, 'msiEndpoint' | 'clientId' | 'objectId' | 'msiResourceId'>, private readonly env = process.env) {
    super();
  }
  protected fetchToken(signal: AbortSignal | undefined): Promise<AccessToken> {
    const endpoint = this.o.msiEndpoint ?? IMDS_ENDPOINT;
    const appService = this.env.IDENTITY_HEADER !== undefined && this.o.msiEndpoint !== undefined;
    const url = new URL(endpoint);
    url.searchParams.set('api-version', appService ? '2019-08-01' : '2018-02-01');
    url.searchParams.set('resource', STORAGE_RESOURCE);
    if (this.o.clientId) url.searchParams.set('client_id', this.o.clientId);
    if (this.o.objectId) url.searchParams.set('object_id', this.o.objectId);
    if (this.o.msiResourceId) url.searchParams.set(appService ? 'mi_res_id' : 'msi_res_id', this.o.msiResourceId);
    const headers: Record<string, string> = appService ? { 'X-IDENTITY-HEADER': this.env.IDENTITY_HEADER! } : { Metadata: 'true' };
    return tokenRequest('managed identity sign-in', url.href, { headers, signal: signal ?? null });
  }
}

/**
 * The token credential object_store would pick from these options, or null when a key, SAS token
 * or connection string is used instead.
 */
export function tokenCredential(o: AzureOptions, env = process.env): TokenCredential | null {
  if (o.bearerToken) return new StaticTokenCredential(o.bearerToken);
  if (o.accessKey || o.connectionString || o.useEmulator) return null;
  if (o.clientId && o.clientSecret && o.tenantId) return new ClientSecretCredential(o.tenantId, o.clientId, o.clientSecret, o.authorityHost);
  if (o.federatedTokenFile && o.clientId && o.tenantId) return new WorkloadIdentityCredential(o.tenantId, o.clientId, o.federatedTokenFile, o.authorityHost);
  if (o.sasToken || o.skipSignature) return null;
  return new ManagedIdentityCredential(o, env);
}
