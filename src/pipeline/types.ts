/**
 * The pipeline model: exactly the original Aqueducts 0.11 serde model (docs/pipeline-format.md),
 * after aliases and defaults have been applied. Field order in these types is the canonical
 * output order.
 */

/** A parsed `data_type` string (docs/pipeline-format.md, "Fields and data types"). */
export type TimeUnit = 'second' | 'millisecond' | 'microsecond' | 'nanosecond';

export type DataType =
  | { kind: 'bool' }
  | { kind: 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64' }
  | { kind: 'float32' | 'float64' }
  | { kind: 'string' | 'large_string' | 'binary' | 'large_binary' }
  | { kind: 'fixed_binary'; size: number }
  | { kind: 'date32' | 'date64' }
  | { kind: 'time32' | 'time64'; unit: TimeUnit }
  | { kind: 'timestamp'; unit: TimeUnit; tz: string | null }
  | { kind: 'duration'; unit: TimeUnit }
  | { kind: 'decimal' | 'decimal256'; precision: number; scale: number }
  | { kind: 'list' | 'large_list'; item: DataType }
  | { kind: 'fixed_list'; item: DataType; size: number }
  | { kind: 'struct'; fields: Array<{ name: string; type: DataType }> }
  | { kind: 'map'; key: DataType; value: DataType };

export interface Field {
  name: string;
  /** `type` in the original's Display form (`int32` for input `int`): what the original writes back. */
  data_type: string;
  /** Parsed form of `data_type`. */
  type: DataType;
  nullable: boolean;
  description: string | null;
}

export interface CsvSourceOptions { has_header: boolean; delimiter: string; schema: Field[] }
export type SourceFileType =
  | { type: 'csv'; options: CsvSourceOptions }
  | { type: 'parquet'; options: { schema: Field[] } }
  | { type: 'json'; options: { schema: Field[] } };

/** A location: absolute URL string (file:// for local paths), as serialised by the original. */
export type Location = string;

export interface PartitionColumn {
  name: string;
  /** `type` in Display form, as written back. */
  data_type: string;
  type: DataType;
}

export type Source =
  | { type: 'in_memory'; name: string }
  | { type: 'file'; name: string; format: SourceFileType; location: Location; storage_config: Record<string, string> }
  | {
      type: 'directory'; name: string; format: SourceFileType; partition_columns: PartitionColumn[];
      location: Location; storage_config: Record<string, string>;
    }
  | { type: 'odbc'; name: string; load_query: string; connection_string: string }
  | {
      type: 'delta'; name: string; location: Location; storage_config: Record<string, string>;
      version: number | null; timestamp: string | null;
    };

export interface Stage {
  name: string;
  query: string;
  show: number | null;
  explain: boolean;
  explain_analyze: boolean;
  print_schema: boolean;
}

export type DestinationFileType =
  | { type: 'csv'; options: { has_header: boolean; delimiter: string; compression: string | null } }
  | { type: 'parquet'; options: Record<string, string> }
  | { type: 'json' };

export type OdbcWriteMode =
  | { operation: 'append' }
  | { operation: 'custom'; transaction: { pre_insert: string | null; insert: string } };

export type DeltaWriteMode =
  | { operation: 'append' }
  | { operation: 'upsert'; params: string[] }
  | { operation: 'replace'; params: Array<{ column: string; value: string }> };

export type Destination =
  | { type: 'in_memory'; name: string }
  | {
      type: 'file'; name: string; location: Location; format: DestinationFileType; single_file: boolean;
      partition_columns: string[]; storage_config: Record<string, string>;
    }
  | { type: 'odbc'; name: string; connection_string: string; write_mode: OdbcWriteMode; batch_size: number }
  | {
      type: 'delta'; name: string; location: Location; write_mode: DeltaWriteMode;
      storage_config: Record<string, string>; partition_columns: string[];
      table_properties: Record<string, string | null>; metadata: Record<string, string>; schema: Field[];
    };

export interface Aqueduct {
  version: string;
  sources: Source[];
  stages: Stage[][];
  destination: Destination | null;
}
