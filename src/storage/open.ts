/**
 * Opening a location: the store it names (with its storage_config and the environment applied),
 * the key inside that store, and what the configuration had to say. Creating a store performs no
 * I/O (clients connect lazily), so destinations can be planned before anything runs.
 */
import { resolveStorageConfig, type ConfigNote } from './config.js';
import { parseStoreLocation, type StoreLocation } from './location.js';
import { Redactor } from '../core/redact.js';
import { LocalStore } from './local.js';
import { S3Store, type S3Tuning } from './s3.js';
import { GcsStore, type GcsTuning } from './gcs.js';
import { AzureStore, type AzureTuning } from './azure.js';
import type { ObjectStore } from './types.js';

export interface OpenedLocation {
  location: StoreLocation;
  store: ObjectStore;
  /** The key the location names inside the store ('' for the root). */
  key: string;
  notes: ConfigNote[];
  redactor: Redactor;
}

export interface OpenOptions {
  env?: NodeJS.ProcessEnv;
  /** Transfer tuning (tests use small parts to exercise chunked uploads). */
  tuning?: { s3?: S3Tuning; gcs?: GcsTuning; azure?: AzureTuning };
}

/** Throws StorageError `invalid_config` for an unsupported URL or a malformed value. */
export function openLocation(url: string, storageConfig: Record<string, string>, opts: OpenOptions = {}): OpenedLocation {
  const env = opts.env ?? process.env;
  const location = parseStoreLocation(url);
  switch (location.kind) {
    case 'local': {
      const notes = Object.keys(storageConfig).map((k) => ({
        key: k,
        kind: 'ignored' as const,
        message: `storage_config key "${k}" has no effect on a local location; it is ignored`,
      }));
      return { location, store: new LocalStore('/'), key: location.path.replace(/^\/+/, ''), notes, redactor: new Redactor(Object.values(storageConfig)) };
    }
    case 's3': {
      const cfg = resolveStorageConfig('s3', storageConfig, env);
      const redactor = new Redactor(cfg.secrets);
      return { location, store: new S3Store(location.bucket, cfg.options, redactor, location.region, opts.tuning?.s3), key: location.key, notes: cfg.notes, redactor };
    }
    case 'gcs': {
      const cfg = resolveStorageConfig('gcs', storageConfig, env);
      const redactor = new Redactor(cfg.secrets);
      return { location, store: new GcsStore(location.bucket, cfg.options, redactor, opts.tuning?.gcs), key: location.key, notes: cfg.notes, redactor };
    }
    case 'azure': {
      const cfg = resolveStorageConfig('azure', storageConfig, env);
      const redactor = new Redactor(cfg.secrets);
      const store = new AzureStore(location.container, location.account, cfg.options, redactor, opts.tuning?.azure, env);
      return { location, store, key: location.key, notes: cfg.notes, redactor };
    }
  }
}
