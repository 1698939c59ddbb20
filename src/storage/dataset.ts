/**
 * What belongs to a dataset directory: the files a directory destination writes (and other
 * engines write beside them), and nothing else. A directory destination replaces only these, and
 * a directory source reads only data files.
 *
 * - Data files: names not hidden (`.`) nor internal (`_`), with a data extension (`.parquet`,
 *   `.csv`, `.json`, `.ndjson`, `.jsonl`), optionally compressed (`.gz`, `.zst`, `.snappy`, ...).
 * - Partition folders: `column=value` directories (hive style), holding more of the same.
 * - Markers other engines leave: `_SUCCESS`, `_committed_*`, `_started_*`, and `.<name>.crc`
 *   checksums.
 *
 * Anything else (a hidden file, a `.tmp` folder, a document, a sub-directory that is not a
 * partition) is not part of the dataset.
 */

const DATA = /^[^._][^/]*\.(parquet|csv|json|ndjson|jsonl|tsv)(\.(gz|gzip|zst|zstd|snappy|lz4|bz2|xz))?$/i;
const MARKERS = /^(_SUCCESS|_committed_.*|_started_.*|\..+\.crc)$/;
const PARTITION = /^[^.=/][^=/]*=[^/]*$/;

/** Whether a path relative to a dataset directory (`/`-separated) is part of the dataset. */
export function isDatasetFile(relativePath: string): boolean {
  const parts = relativePath.split('/').filter((p) => p !== '');
  const name = parts.pop();
  if (name === undefined) return false;
  return parts.every((p) => PARTITION.test(p)) && (DATA.test(name) || MARKERS.test(name));
}

/** Whether a sub-directory name can be part of a dataset (a partition folder). */
export function isPartitionFolder(name: string): boolean {
  return PARTITION.test(name);
}

/**
 * Whether a path relative to a source directory is a data file a reader takes: no hidden (`.`)
 * or internal (`_`) component anywhere (temporary outputs, checksums, markers), and the format's
 * extension.
 */
export function isReadableDataFile(relativePath: string, extension: string): boolean {
  const parts = relativePath.split('/').filter((p) => p !== '');
  return parts.length > 0 && parts.every((p) => !p.startsWith('.') && !p.startsWith('_')) && parts.at(-1)!.toLowerCase().endsWith(`.${extension}`);
}
