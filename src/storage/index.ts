/** The storage layer: one interface over local disk, S3, GCS and Azure Blob Storage. */
export * from './types.js';
export { openLocation, type OpenedLocation, type OpenOptions } from './open.js';
export { parseStoreLocation, isObjectStoreUrl, type StoreLocation } from './location.js';
export { resolveStorageConfig, type ConfigNote } from './config.js';
export { LocalStore } from './local.js';
export { S3Store } from './s3.js';
export { GcsStore } from './gcs.js';
export { AzureStore } from './azure.js';
export { downloadAll, uploadAll, deleteAll, TransferProgress, formatBytes, contentTypeOf } from './transfer.js';
