/**
 * Keeps credentials out of messages. SDK errors can echo request URLs (with SAS signatures),
 * headers or configuration; every message a store produces passes through its Scrubber, which
 * removes the exact credential values the store was configured with (raw, URL-encoded and
 * base64-decoded forms) and anything shaped like a secret parameter.
 */
import { scrubSecrets } from '../core/log.js';

const MIN_SECRET_LENGTH = 4;

export class Scrubber {
  private readonly needles: string[];

  constructor(secrets: Iterable<string>) {
    const all = new Set<string>();
    for (const s of secrets) {
      for (const form of variants(s)) if (form.length >= MIN_SECRET_LENGTH) all.add(form);
    }
    // Longest first, so a secret containing another is removed whole.
    this.needles = [...all].sort((a, b) => b.length - a.length);
  }

  scrub(text: string): string {
    let out = text;
    for (const n of this.needles) out = out.split(n).join('***');
    return scrubSecrets(out)
      .replace(/([?&](?:sig|se|sv|sp|st|skoid|sktid|skt|ske|sks|skv|srt|ss|spr|sr|signature|x-amz-signature|x-amz-credential|x-amz-security-token|access_token)=)[^&\s'"]*/gi, '$1***')
      .replace(/(authorization["']?\s*[:=]\s*["']?)(bearer |sharedkey |aws4-hmac-sha256 )?[^"'\n,}]*/gi, '$1$2***')
      .replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '***');
  }
}

function variants(secret: string): string[] {
  const out = [secret, encodeURIComponent(secret)];
  try {
    out.push(decodeURIComponent(secret));
  } catch {
    /* not URL-encoded */
  }
  // A connection string's parts, a service account JSON's private key.
  for (const m of secret.matchAll(/(?:AccountKey|SharedAccessSignature|SharedAccessKey)=([^;]+)/gi)) out.push(m[1]!, encodeURIComponent(m[1]!));
  if (secret.trimStart().startsWith('{')) {
    try {
      const j = JSON.parse(secret) as Record<string, unknown>;
      for (const k of ['private_key', 'private_key_id', 'client_secret', 'refresh_token']) {
        if (typeof j[k] === 'string') out.push(j[k] as string, ...(j[k] as string).split('\n').filter((l) => l.length > 20 && !l.startsWith('-----')));
      }
    } catch {
      /* not JSON */
    }
  }
  return out;
}
