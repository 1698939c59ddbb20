/**
 * Keeping credentials out of every message, log line and reply: the one place redaction rules
 * live. Three tools for three situations:
 *
 * - `redactSecrets(text)`: anything *shaped* like a credential (`PWD=…`, `key=…`, `user:pass@`),
 *   for text whose secrets are not known in advance (driver and network errors);
 * - `Redactor`: the exact values a component was configured with (raw, URL-encoded and
 *   base64-decoded forms, the parts of connection strings and service-account JSON), plus the
 *   shapes above and those SDKs echo (signed URL parameters, Authorization headers, `Bearer`
 *   tokens, PEM keys); a secret spanning lines is also removed line by line;
 * - `redactQuoted(message, secrets)`: configuration errors, where a value appears only quoted, so
 *   a secret is replaced inside quotes and the fixed text is left alone (a one-letter secret must
 *   not garble the message).
 */

/** Removes anything shaped like a credential: connection-string passwords and keys, URL user info. */
export function redactSecrets(text: string): string {
  return text
    // ODBC passwords may contain spaces and quotes: the value runs to `;`, the end of the line or
    // a following `&name=` (URL query), or is a `{...}` block where `}}` stands for `}`.
    .replace(/\b(pwd|password|passwd)\s*=\s*(\{(?:[^}]|\}\})*\}|(?:(?!&\w+=)[^;\r\n])*)/gi, '$1=***')
    .replace(/\b(pwd|password|passwd|secret|token|key|accountkey|sharedaccesssignature|sig)\s*=\s*(\{[^}]*\}|[^;&\s'"]*)/gi, '$1=***')
    .replace(/(\/\/[^/:@\s]+:)[^@/\s]+@/g, '$1***@');
}

/** Exact values shorter than this are left to the shapes: replacing every "ab" would garble text. */
const MIN_SECRET_LENGTH = 3;

export class Redactor {
  private readonly needles: string[];

  constructor(secrets: Iterable<string>) {
    const all = new Set<string>();
    for (const s of secrets) {
      for (const form of variants(s)) if (form.length >= MIN_SECRET_LENGTH) all.add(form);
    }
    // Longest first, so a secret containing another is removed whole.
    this.needles = [...all].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const n of this.needles) out = out.split(n).join('***');
    return redactSecrets(out)
      .replace(/([?&](?:sig|se|sv|sp|st|skoid|sktid|skt|ske|sks|skv|srt|ss|spr|sr|signature|x-amz-signature|x-amz-credential|x-amz-security-token|access_token)=)[^&\s'"]*/gi, '$1***')
      .replace(/(authorization["']?\s*[:=]\s*["']?)(bearer |sharedkey |aws4-hmac-sha256 )?[^"'\n,}]*/gi, '$1$2***')
      .replace(/\bBearer [^\s"',;]+/g, 'Bearer ***')
      .replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '***');
  }
}

function variants(secret: string): string[] {
  const out = [secret, encodeURIComponent(secret)];
  // A secret with a line break (a token pasted from a file keeps its newline) is echoed cut at the
  // break, e.g. "Bearer <token>\n is not a legal HTTP header value", whose first line is kept.
  if (/[\r\n]/.test(secret)) out.push(secret.trim(), ...secret.split(/\r?\n|\r/).map((l) => l.trim()));
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

/**
 * Values appear in configuration messages only quoted ("…" from `show`, '…' from commander): a
 * secret found in a quoted part is replaced, and the fixed text around it is left alone.
 */
export function redactQuoted(message: string, secrets: readonly string[]): string {
  const redact = (quoted: string) => secrets.reduce((q, secret) => q.split(secret).join('[redacted]'), quoted);
  return message.replace(/"(?:[^"\\]|\\.)*"|'[^']*'/g, redact);
}
