/**
 * COPY options for file destinations. Parquet options use DataFusion's `TableParquetOptions`
 * keys (what users of the original write); those DuckDB can honour are mapped, writer tuning
 * knobs DuckDB has no equivalent for are ignored with a warning, unknown keys are errors.
 */
import { ExecutorError } from '../core/errors.js';
import type { DestinationFileType } from '../pipeline/types.js';
import { quoteLiteral } from '../engine/sql-text.js';

const PARQUET_CODECS = new Set(['uncompressed', 'snappy', 'gzip', 'brotli', 'lz4', 'lz4_raw', 'zstd']);

/** DataFusion parquet keys with no DuckDB counterpart: accepted, ignored, reported. */
const PARQUET_IGNORED = new Set([
  'created_by', 'data_pagesize_limit', 'write_batch_size', 'dictionary_enabled', 'dictionary_page_size_limit',
  'statistics_enabled', 'max_statistics_size', 'column_index_truncate_length', 'statistics_truncate_length',
  'data_page_row_count_limit', 'encoding', 'bloom_filter_on_read', 'bloom_filter_on_write', 'bloom_filter_fpp',
  'bloom_filter_ndv', 'allow_single_file_parallelism', 'maximum_parallel_row_group_writers',
  'maximum_buffered_record_batches_per_stream', 'skip_arrow_metadata', 'schema_force_view_types',
  'binary_as_string', 'coerce_int96', 'pushdown_filters', 'reorder_filters', 'enable_page_index', 'pruning',
  'skip_metadata', 'metadata_size_hint', 'bloom_filter_enabled', 'max_predicate_cache_size',
]);

export interface CopyOptions {
  options: string[];
  warnings: string[];
}

export function copyOptions(subject: string, format: DestinationFileType): CopyOptions {
  const warnings: string[] = [];
  switch (format.type) {
    case 'csv': {
      const o = format.options;
      const options = ['FORMAT csv', `HEADER ${o.has_header}`, `DELIMITER ${quoteLiteral(o.delimiter)}`];
      const c = o.compression?.toLowerCase() ?? null;
      if (c !== null && c !== '' && c !== 'uncompressed' && c !== 'none') {
        if (c !== 'gzip' && c !== 'zstd') {
          throw new ExecutorError('AQ_DESTINATION_FAILED', `${subject}: unsupported csv compression "${o.compression}" (use gzip, zstd or uncompressed)`);
        }
        options.push(`COMPRESSION ${c}`);
      } else {
        options.push(`COMPRESSION none`);
      }
      return { options, warnings };
    }
    case 'json':
      return { options: ['FORMAT json'], warnings };
    case 'parquet': {
      const options = ['FORMAT parquet'];
      for (const [rawKey, rawValue] of Object.entries(format.options)) {
        const key = rawKey.replace(/^(format|global)\./, '').toLowerCase();
        const value = rawValue.trim();
        if (key === 'compression') {
          const m = /^([a-z0-9_]+)(?:\((-?\d+)\))?$/i.exec(value);
          const codec = m?.[1]?.toLowerCase();
          if (!m || !codec || !PARQUET_CODECS.has(codec)) {
            throw new ExecutorError('AQ_DESTINATION_FAILED', `${subject}: unsupported parquet compression "${value}" (use uncompressed, snappy, gzip(n), brotli(n), lz4, lz4_raw or zstd(n))`);
          }
          options.push(`COMPRESSION ${codec}`);
          if (m[2] !== undefined) {
            if (codec === 'zstd' || codec === 'gzip' || codec === 'brotli') options.push(`COMPRESSION_LEVEL ${Number(m[2])}`);
          }
        } else if (key === 'max_row_group_size') {
          const n = Number(value);
          if (!Number.isInteger(n) || n <= 0) throw new ExecutorError('AQ_DESTINATION_FAILED', `${subject}: max_row_group_size must be a positive integer, got "${value}"`);
          options.push(`ROW_GROUP_SIZE ${n}`);
        } else if (key === 'writer_version') {
          if (value !== '1.0' && value !== '2.0') throw new ExecutorError('AQ_DESTINATION_FAILED', `${subject}: writer_version must be 1.0 or 2.0, got "${value}"`);
          options.push(`PARQUET_VERSION ${value === '2.0' ? 'V2' : 'V1'}`);
        } else if (PARQUET_IGNORED.has(key) || /^(bloom_filter|statistics|dictionary|encoding|compression)::/.test(key)) {
          warnings.push(`${subject}: parquet option "${rawKey}" has no equivalent in this engine and is ignored`);
        } else {
          throw new ExecutorError('AQ_DESTINATION_FAILED', `${subject}: unknown parquet option "${rawKey}"`);
        }
      }
      return { options, warnings };
    }
  }
}
