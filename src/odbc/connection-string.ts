/**
 * ODBC connection strings: `key=value;` attributes, values optionally in braces (`{...}`, where
 * `}}` stands for `}`), keys case-insensitive. Two forms are common: `DSN=name;...` (a data
 * source registered in odbc.ini) and DSN-less `Driver={PostgreSQL Unicode};Server=...;`.
 *
 * For PostgreSQL's driver (psqlODBC) a few settings are added unless the connection string or
 * the DSN sets them: `UseDeclareFetch=1` + `Fetch=<rows>` (otherwise psqlODBC reads a whole
 * result into memory before returning the first row) and `BoolsAsChar=0` (booleans are reported
 * as SQL_BIT instead of text). Sources also choose `TextAsLongVarchar`: 0 reports `text` as
 * VARCHAR(255), read into a bound buffer (twice as fast as long data, read value by value; a
 * longer value is detected and the source reads again with 1).
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Attribute {
  key: string;
  value: string;
  /** A word without `=` (kept as written). */
  bare?: boolean;
  /** The value was written in braces. */
  braced?: boolean;
}

export function parseConnectionString(text: string): Attribute[] {
  const out: Attribute[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && (text[i] === ';' || /\s/.test(text[i]!))) i++;
    if (i >= n) break;
    const eq = text.indexOf('=', i);
    const semi = text.indexOf(';', i);
    if (eq < 0 || (semi >= 0 && semi < eq)) {
      // A bare word without a value.
      const end = semi < 0 ? n : semi;
      out.push({ key: text.slice(i, end).trim(), value: '', bare: true });
      i = end + 1;
      continue;
    }
    const key = text.slice(i, eq).trim();
    i = eq + 1;
    while (i < n && text[i] === ' ') i++;
    let value = '';
    if (text[i] === '{') {
      let j = i + 1;
      while (j < n) {
        if (text[j] === '}') {
          if (text[j + 1] === '}') { value += '}'; j += 2; continue; }
          break;
        }
        value += text[j];
        j++;
      }
      const next = text.indexOf(';', j);
      i = next < 0 ? n : next + 1;
      out.push({ key, value, braced: true });
      continue;
    } else {
      const end = text.indexOf(';', i);
      value = (end < 0 ? text.slice(i) : text.slice(i, end)).trim();
      i = end < 0 ? n : end + 1;
    }
    out.push({ key, value });
  }
  return out;
}

const SECRET_KEYS = new Set(['pwd', 'password', 'passwd', 'accesstoken', 'access_token', 'token', 'secret', 'clientsecret', 'client_secret']);

export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase());
}

/** The secret values (passwords, tokens) a connection string carries, for exact-value redaction. */
export function secretValues(text: string): string[] {
  return parseConnectionString(text)
    .filter((a) => isSecretKey(a.key) && a.value !== '')
    .map((a) => a.value);
}

function get(attrs: Attribute[], key: string): string | undefined {
  const k = key.toLowerCase();
  return attrs.find((a) => a.key.toLowerCase() === k)?.value;
}

/** Sections of an odbc.ini-style file, keys lower-cased. */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!.trim(), current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0 && current) current.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  return sections;
}

/** Where unixODBC looks for data sources: the user's file first, then the system's. */
function odbcIniFiles(): string[] {
  const files: string[] = [];
  files.push(process.env.ODBCINI ?? path.join(os.homedir(), '.odbc.ini'));
  files.push(path.join(process.env.ODBCSYSINI ?? '/etc', 'odbc.ini'));
  return files;
}

/** The settings of a DSN from odbc.ini (user file first), or null when it is not found. */
export function lookupDsn(name: string, files = odbcIniFiles()): Map<string, string> | null {
  for (const f of files) {
    if (!existsSync(f)) continue;
    let sections;
    try {
      sections = parseIni(readFileSync(f, 'utf8'));
    } catch {
      continue;
    }
    for (const [section, values] of sections) {
      if (section.toLowerCase() === name.toLowerCase()) return values;
    }
  }
  return null;
}

export interface PreparedConnection {
  /** What is passed to the driver manager. */
  connectionString: string;
  /** Whether the target is PostgreSQL's ODBC driver (psqlODBC). */
  postgres: boolean;
  /** Secret values to remove from anything shown to users. */
  secrets: string[];
}

function isPostgresDriver(driver: string | undefined): boolean {
  return driver !== undefined && /postgres|psqlodbc/i.test(driver);
}

/**
 * Adds the settings this executor relies on for drivers it knows, leaving everything the user
 * set (in the string or in the DSN) as it is.
 */
export function prepareConnectionString(text: string, opts: { fetchRows: number; textAsLong?: boolean; dsnFiles?: string[] }): PreparedConnection {
  const attrs = parseConnectionString(text);
  const dsnName = get(attrs, 'dsn');
  const dsn = get(attrs, 'driver') === undefined && dsnName ? lookupDsn(dsnName, opts.dsnFiles) : null;
  const postgres = isPostgresDriver(get(attrs, 'driver')) || isPostgresDriver(dsn?.get('driver'));
  let connectionString = text;
  if (postgres) {
    const has = (k: string) => get(attrs, k) !== undefined || dsn?.has(k.toLowerCase()) === true;
    const extra: string[] = [];
    if (!has('UseDeclareFetch')) extra.push('UseDeclareFetch=1');
    if (!has('Fetch')) extra.push(`Fetch=${opts.fetchRows}`);
    if (!has('BoolsAsChar')) extra.push('BoolsAsChar=0');
    if (opts.textAsLong !== undefined && !has('TextAsLongVarchar')) extra.push(`TextAsLongVarchar=${opts.textAsLong ? 1 : 0}`);
    if (extra.length) connectionString = `${text.replace(/;?\s*$/, ';')}${extra.join(';')};`;
  }
  return { connectionString, postgres, secrets: secretValues(text) };
}
