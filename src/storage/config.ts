/**
 * `storage_config` → store options. Keys are the ones users of the original write: object_store's
 * configuration keys with all their aliases (and the few delta-rs adds), in any case. Missing
 * values are taken from the environment the way object_store's `from_env` does (upper-case
 * `AWS_*`, `GOOGLE_*`, `AZURE_*` variables with the same names); `storage_config` wins. What is
 * still missing is left to each SDK's default credential chain.
 *
 * Nothing here ever puts a value in a message: notes and errors name keys only.
 */
import { StorageError, type StoreKind } from './types.js';

type Remote = Exclude<StoreKind, 'local'>;
type ValueType = 'string' | 'bool' | 'duration';

interface FieldSpec {
  field: string;
  type: ValueType;
  secret?: boolean;
}

/** Why a recognised key does nothing here. */
type Ignored = { ignored: string; category?: 'delta' };

type KeyTable = Record<string, FieldSpec | Ignored>;

const str = (field: string, secret = false): FieldSpec => ({ field, type: 'string', secret });
const bool = (field: string): FieldSpec => ({ field, type: 'bool' });
const dur = (field: string): FieldSpec => ({ field, type: 'duration' });
const ignored = (why: string): Ignored => ({ ignored: why });
const delta = (): Ignored => ({ ignored: 'is a Delta Lake (delta-rs) option; it has no effect on file sources and destinations', category: 'delta' });

function aliases(names: string[], spec: FieldSpec | Ignored): KeyTable {
  return Object.fromEntries(names.map((n) => [n, spec]));
}

const NO_EFFECT = 'has no effect in this executor';
const FROM_LOCATION = 'is taken from the location URL; the key is ignored';
const SDK_ENV = 'is read by the AWS SDK from the environment, not from storage_config; the key is ignored';

/** object_store's ClientConfigKey, accepted with and without the store's prefix. */
const CLIENT_KEYS: KeyTable = {
  allow_http: bool('allowHttp'),
  allow_invalid_certificates: bool('allowInvalidCertificates'),
  timeout: dur('timeoutMs'),
  connect_timeout: dur('connectTimeoutMs'),
  ...aliases(
    [
      'default_content_type', 'http1_only', 'http2_only', 'http2_keep_alive_interval', 'http2_keep_alive_timeout',
      'http2_keep_alive_while_idle', 'http2_max_frame_size', 'pool_idle_timeout', 'pool_max_idle_per_host',
      'proxy_url', 'proxy_ca_certificate', 'proxy_excludes', 'randomize_addresses', 'user_agent',
    ],
    ignored(NO_EFFECT),
  ),
};

const S3_KEYS: KeyTable = {
  ...aliases(['aws_access_key_id', 'access_key_id'], str('accessKeyId', true)),
  ...aliases(['aws_secret_access_key', 'secret_access_key'], str('secretAccessKey', true)),
  ...aliases(['aws_session_token', 'aws_token', 'session_token', 'token'], str('sessionToken', true)),
  ...aliases(['aws_region', 'region'], str('region')),
  ...aliases(['aws_default_region', 'default_region'], str('defaultRegion')),
  ...aliases(['aws_endpoint_url', 'aws_endpoint', 'endpoint_url', 'endpoint', 'aws_endpoint_url_s3'], str('endpoint')),
  ...aliases(['aws_virtual_hosted_style_request', 'virtual_hosted_style_request'], bool('virtualHostedStyle')),
  ...aliases(['aws_s3_force_path_style', 'aws_force_path_style', 's3_force_path_style', 'force_path_style'], bool('forcePathStyle')),
  ...aliases(['aws_skip_signature', 'skip_signature'], bool('skipSignature')),
  ...aliases(['aws_profile', 'profile'], str('profile')),
  ...aliases(['aws_server_side_encryption', 'server_side_encryption'], str('serverSideEncryption')),
  ...aliases(['aws_sse_kms_key_id', 'sse_kms_key_id'], str('sseKmsKeyId')),
  ...aliases(['aws_sse_bucket_key_enabled', 'sse_bucket_key_enabled'], bool('sseBucketKeyEnabled')),
  aws_allow_http: bool('allowHttp'),
  ...aliases(['aws_bucket', 'aws_bucket_name', 'bucket_name', 'bucket'], ignored(FROM_LOCATION)),
  ...aliases(
    [
      'aws_imdsv1_fallback', 'imdsv1_fallback', 'aws_metadata_endpoint', 'metadata_endpoint',
      'aws_container_credentials_relative_uri', 'container_credentials_relative_uri',
      'aws_container_credentials_full_uri', 'container_credentials_full_uri',
      'aws_container_authorization_token_file', 'container_authorization_token_file',
      'aws_web_identity_token_file', 'web_identity_token_file', 'aws_role_arn', 'role_arn',
      'aws_role_session_name', 'role_session_name', 'aws_endpoint_url_sts', 'endpoint_url_sts',
    ],
    ignored(SDK_ENV),
  ),
  ...aliases(
    [
      'aws_unsigned_payload', 'unsigned_payload', 'aws_checksum_algorithm', 'checksum_algorithm',
      'aws_copy_if_not_exists', 'copy_if_not_exists', 'aws_conditional_put', 'conditional_put',
      'aws_disable_tagging', 'disable_tagging', 'aws_s3_express', 's3_express', 'aws_request_payer', 'request_payer',
      'aws_sse_customer_key_base64', 'sse_customer_key_base64',
    ],
    ignored(NO_EFFECT),
  ),
  ...aliases(
    [
      'aws_s3_allow_unsafe_rename', 'aws_s3_locking_provider', 'delta_dynamo_table_name', 'aws_force_credential_load',
      'aws_s3_pool_idle_timeout_seconds', 'aws_sts_pool_idle_timeout_seconds', 'aws_s3_get_internal_server_error_retries',
      'aws_iam_role_arn', 'aws_s3_assume_role_arn', 'aws_iam_role_session_name', 'aws_s3_role_session_name',
    ],
    delta(),
  ),
};

const GCS_KEYS: KeyTable = {
  ...aliases(['google_service_account', 'service_account', 'google_service_account_path', 'service_account_path'], str('serviceAccountPath')),
  ...aliases(['google_service_account_key', 'service_account_key'], str('serviceAccountKey', true)),
  ...aliases(['google_application_credentials', 'application_credentials'], str('applicationCredentials')),
  ...aliases(['google_bearer_token', 'bearer_token'], str('bearerToken', true)),
  ...aliases(['google_base_url', 'base_url'], str('baseUrl')),
  ...aliases(['google_cloud_project', 'google_project_id', 'google_project', 'project_id'], str('projectId')),
  ...aliases(['google_skip_signature', 'skip_signature'], bool('skipSignature')),
  ...aliases(['google_bucket', 'google_bucket_name', 'bucket', 'bucket_name'], ignored(FROM_LOCATION)),
};

const AZURE_KEYS: KeyTable = {
  ...aliases(['azure_storage_account_name', 'account_name'], str('accountName')),
  ...aliases(
    ['azure_storage_account_key', 'azure_storage_access_key', 'azure_storage_master_key', 'master_key', 'account_key', 'access_key'],
    str('accessKey', true),
  ),
  ...aliases(['azure_storage_client_id', 'azure_client_id', 'client_id'], str('clientId')),
  ...aliases(['azure_storage_client_secret', 'azure_client_secret', 'client_secret'], str('clientSecret', true)),
  ...aliases(
    ['azure_storage_tenant_id', 'azure_storage_authority_id', 'azure_tenant_id', 'azure_authority_id', 'tenant_id', 'authority_id'],
    str('tenantId'),
  ),
  ...aliases(['azure_storage_authority_host', 'azure_authority_host', 'authority_host'], str('authorityHost')),
  ...aliases(['azure_storage_sas_key', 'azure_storage_sas_token', 'sas_key', 'sas_token'], str('sasToken', true)),
  ...aliases(['azure_storage_token', 'bearer_token', 'token'], str('bearerToken', true)),
  ...aliases(['azure_storage_connection_string', 'azure_connection_string', 'connection_string'], str('connectionString', true)),
  ...aliases(['azure_storage_use_emulator', 'object_store_use_emulator', 'use_emulator'], bool('useEmulator')),
  ...aliases(['azure_storage_endpoint', 'azure_endpoint', 'endpoint'], str('endpoint')),
  ...aliases(['azure_msi_endpoint', 'azure_identity_endpoint', 'identity_endpoint', 'msi_endpoint'], str('msiEndpoint')),
  ...aliases(['azure_object_id', 'object_id'], str('objectId')),
  ...aliases(['azure_msi_resource_id', 'msi_resource_id'], str('msiResourceId')),
  ...aliases(['azure_federated_token_file', 'federated_token_file'], str('federatedTokenFile')),
  ...aliases(['azure_skip_signature', 'skip_signature'], bool('skipSignature')),
  azure_allow_http: bool('allowHttp'),
  ...aliases(['azure_container_name', 'container_name'], ignored(FROM_LOCATION)),
  ...aliases(['azure_use_azure_cli', 'use_azure_cli'], ignored('is not supported here (no Azure CLI credential); use a key, a SAS token, a service principal, workload identity or managed identity')),
  ...aliases(
    [
      'azure_disable_tagging', 'disable_tagging', 'azure_use_fabric_endpoint', 'use_fabric_endpoint',
      'azure_fabric_token_service_url', 'fabric_token_service_url', 'azure_fabric_workload_host', 'fabric_workload_host',
      'azure_fabric_session_token', 'fabric_session_token', 'azure_fabric_cluster_identifier', 'fabric_cluster_identifier',
    ],
    ignored(NO_EFFECT),
  ),
};

const TABLES: Record<Remote, { keys: KeyTable; prefix: string; envPrefix: string }> = {
  s3: { keys: S3_KEYS, prefix: 'aws_', envPrefix: 'AWS_' },
  gcs: { keys: GCS_KEYS, prefix: 'google_', envPrefix: 'GOOGLE_' },
  azure: { keys: AZURE_KEYS, prefix: 'azure_', envPrefix: 'AZURE_' },
};

const STORE_NAMES: Record<Remote, string> = { s3: 'S3 (s3://)', gcs: 'Google Cloud Storage (gs://)', azure: 'Azure Blob Storage (az://, abfss://)' };

export interface S3Options {
  accessKeyId?: string; secretAccessKey?: string; sessionToken?: string;
  region?: string; defaultRegion?: string; endpoint?: string;
  virtualHostedStyle?: boolean; forcePathStyle?: boolean; skipSignature?: boolean; profile?: string;
  serverSideEncryption?: string; sseKmsKeyId?: string; sseBucketKeyEnabled?: boolean;
  allowHttp?: boolean; allowInvalidCertificates?: boolean; timeoutMs?: number; connectTimeoutMs?: number;
}

export interface GcsOptions {
  serviceAccountPath?: string; serviceAccountKey?: string; applicationCredentials?: string; bearerToken?: string;
  baseUrl?: string; projectId?: string; skipSignature?: boolean;
  allowHttp?: boolean; allowInvalidCertificates?: boolean; timeoutMs?: number; connectTimeoutMs?: number;
}

export interface AzureOptions {
  accountName?: string; accessKey?: string; clientId?: string; clientSecret?: string; tenantId?: string;
  authorityHost?: string; sasToken?: string; bearerToken?: string; connectionString?: string;
  useEmulator?: boolean; endpoint?: string; msiEndpoint?: string; objectId?: string; msiResourceId?: string;
  federatedTokenFile?: string; skipSignature?: boolean;
  allowHttp?: boolean; allowInvalidCertificates?: boolean; timeoutMs?: number; connectTimeoutMs?: number;
}

export interface OptionsByKind { s3: S3Options; gcs: GcsOptions; azure: AzureOptions }

/** A finding about one key; the message names the key as written and never its value. */
export interface ConfigNote {
  key: string;
  kind: 'unknown' | 'ignored' | 'other_store';
  category?: 'delta';
  message: string;
}

export interface ResolvedConfig<K extends Remote> {
  options: OptionsByKind[K];
  notes: ConfigNote[];
  /** Every credential value seen (config and environment), to scrub from messages. */
  secrets: string[];
}

/** Client options each store's SDK client can honour (the others are reported as ignored). */
const HONOURED_CLIENT_FIELDS: Record<Remote, Set<string>> = {
  s3: new Set(['allowHttp', 'allowInvalidCertificates', 'timeoutMs', 'connectTimeoutMs']),
  gcs: new Set(['allowHttp', 'timeoutMs']),
  azure: new Set(['allowHttp', 'timeoutMs']),
};

function lookup(kind: Remote, table: KeyTable, prefix: string, key: string): FieldSpec | Ignored | undefined {
  const direct = table[key];
  if (direct) return direct;
  const client = CLIENT_KEYS[key.startsWith(prefix) ? key.slice(prefix.length) : key];
  if (client && 'field' in client && !HONOURED_CLIENT_FIELDS[kind].has(client.field)) return ignored(NO_EFFECT);
  return client;
}

/** object_store's boolean parsing. */
export function parseBool(value: string): boolean | null {
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'on', 'yes', 'y'].includes(v)) return true;
  if (['0', 'false', 'off', 'no', 'n'].includes(v)) return false;
  return null;
}

const UNITS: Record<string, number> = {
  ms: 1, msec: 1, millis: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hour: 3_600_000, hours: 3_600_000,
};

/** A humantime-style duration (`30s`, `1m 30s`, `500ms`; a bare number is seconds) in ms. */
export function parseDuration(value: string): number | null {
  const v = value.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const parts = [...v.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('').replace(/\s/g, '') !== v.replace(/\s/g, '')) return null;
  let ms = 0;
  for (const [, n, unit] of parts) {
    const f = UNITS[unit!];
    if (f === undefined) return null;
    ms += Number(n) * f;
  }
  return ms;
}

function otherStore(kind: Remote, key: string): Remote | null {
  for (const k of Object.keys(TABLES) as Remote[]) {
    if (k !== kind && (key.startsWith(TABLES[k].prefix) || (k === 'gcs' && key.startsWith('gcs_')))) return k;
  }
  return null;
}

function setValue(out: Record<string, unknown>, spec: FieldSpec, value: string, shownKey: string): void {
  if (spec.type === 'string') {
    out[spec.field] = value;
    return;
  }
  if (spec.type === 'bool') {
    const b = parseBool(value);
    if (b === null) throw new StorageError('invalid_config', `storage_config key "${shownKey}" must be true or false`);
    out[spec.field] = b;
    return;
  }
  const ms = parseDuration(value);
  if (ms === null) throw new StorageError('invalid_config', `storage_config key "${shownKey}" must be a duration such as 30s or 2m`);
  out[spec.field] = ms;
}

/**
 * Maps `storage_config` (and the environment) to the options of one store. Throws StorageError
 * `invalid_config` for a value of the wrong form (naming the key, not the value).
 */
export function resolveStorageConfig<K extends Remote>(
  kind: K,
  storageConfig: Record<string, string>,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConfig<K> {
  const { keys, prefix, envPrefix } = TABLES[kind];
  const out: Record<string, unknown> = {};
  const secrets = new Set<string>();
  const notes: ConfigNote[] = [];

  // Environment first (object_store's from_env: upper-case names only), storage_config over it.
  const envEntries = Object.entries(env).filter(([k, v]) => v !== undefined && v !== '' && k.startsWith(envPrefix) && k === k.toUpperCase());
  if (kind === 'gcs' && env.SERVICE_ACCOUNT) envEntries.unshift(['SERVICE_ACCOUNT', env.SERVICE_ACCOUNT]);
  if (kind === 'azure' && env.IDENTITY_ENDPOINT) envEntries.unshift(['AZURE_MSI_ENDPOINT', env.IDENTITY_ENDPOINT]);
  for (const [name, value] of envEntries) {
    const spec = lookup(kind, keys, prefix, name.toLowerCase());
    if (!spec || 'ignored' in spec) continue;
    try {
      setValue(out, spec, value!, name);
    } catch {
      continue; // a malformed variable meant for something else does not fail the run
    }
    if (spec.secret) secrets.add(value!);
  }

  for (const [rawKey, value] of Object.entries(storageConfig)) {
    const key = rawKey.trim().toLowerCase();
    const spec = lookup(kind, keys, prefix, key);
    // A misspelt or foreign key may still hold a credential: scrub its value too.
    if ((!spec || 'ignored' in spec) && value.length >= 8) secrets.add(value);
    if (spec && 'ignored' in spec) {
      notes.push({ key: rawKey, kind: 'ignored', ...(spec.category ? { category: spec.category } : {}), message: `storage_config key "${rawKey}" ${spec.ignored}` });
      continue;
    }
    if (!spec) {
      const other = otherStore(kind, key);
      notes.push(
        other
          ? { key: rawKey, kind: 'other_store', message: `storage_config key "${rawKey}" applies to ${STORE_NAMES[other]}, not to this ${STORE_NAMES[kind]} location; it is ignored` }
          : { key: rawKey, kind: 'unknown', message: `unknown storage_config key "${rawKey}" for ${STORE_NAMES[kind]}; it is ignored` },
      );
      continue;
    }
    setValue(out, spec, value, rawKey);
    if (spec.secret) secrets.add(value);
  }
  return { options: out as OptionsByKind[K], notes, secrets: [...secrets] };
}
