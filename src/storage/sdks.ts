/**
 * The cloud SDKs, each loaded the first time a store of its kind needs it rather than when a
 * program starts: each takes 0.1–0.3 s to load, and most commands and runs use none of them
 * (docs/architecture.md, "Start-up"). The stores import only their types; their values come from
 * here.
 *
 * Loaded with `require`, not `import()`:
 * - GCS and Azure stores are created synchronously and check storage_config through their SDK (an
 *   Azure connection string or account key), so `openLocation` still throws at once, as it did
 *   when the SDKs were imported at start-up;
 * - the AWS SDK and google-auth-library are CommonJS only; `import()` of a CommonJS package first
 *   reads and scans every module it re-exports to learn their export names, which takes about as
 *   long as loading it again.
 */
import { createRequire } from 'node:module';
import type * as S3 from '@aws-sdk/client-s3';
import type * as S3Upload from '@aws-sdk/lib-storage';
import type * as Gcs from '@google-cloud/storage';
import type * as GoogleAuth from 'google-auth-library';
import type * as Azure from '@azure/storage-blob';

const require = createRequire(import.meta.url);

/** @aws-sdk/client-s3: the client and its commands. */
export function s3Sdk(): typeof S3 {
  return require('@aws-sdk/client-s3') as typeof S3;
}

/** @aws-sdk/lib-storage: multipart uploads, needed only for objects larger than one part. */
export function s3UploadSdk(): typeof S3Upload {
  return require('@aws-sdk/lib-storage') as typeof S3Upload;
}

/** @google-cloud/storage. */
export function gcsSdk(): typeof Gcs {
  return require('@google-cloud/storage') as typeof Gcs;
}

/** google-auth-library, for a GCS bearer token. */
export function googleAuthSdk(): typeof GoogleAuth {
  return require('google-auth-library') as typeof GoogleAuth;
}

/** @azure/storage-blob. */
export function azureSdk(): typeof Azure {
  return require('@azure/storage-blob') as typeof Azure;
}
