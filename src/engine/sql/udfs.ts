/**
 * JavaScript scalar functions for what neither DuckDB nor a macro can do: DataFusion's sha224,
 * sha384 and sha512 (node:crypto), which return binary (BLOB) and take a string (its UTF-8 bytes)
 * or a binary value; NULL gives NULL.
 *
 * `DuckDBConnection.registerScalarFunction` (@duckdb/node-api 1.5.6) registers into the SYSTEM
 * catalog: once registered on one connection, a function is visible to every connection of the
 * instance, and registering it again replaces it. DuckDB calls the function on the JavaScript
 * thread, one chunk (≤ 2048 rows) at a time, so it is meant for small inputs.
 */
import { createHash } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ANY, BLOB, DuckDBBlobValue, DuckDBScalarFunction } from '../duckdb.js';

export const HASH_UDFS = Object.freeze(['sha224', 'sha384', 'sha512'] as const);

function hashFunction(name: (typeof HASH_UDFS)[number]): DuckDBScalarFunction {
  return DuckDBScalarFunction.create({
    name,
    returnType: BLOB,
    parameterTypes: [ANY],
    mainFunction: (info, input, output) => {
      const column = input.getColumnVector(0);
      for (let row = 0; row < input.rowCount; row++) {
        const value = column.getItem(row);
        if (value === null) {
          output.setItem(row, null);
          continue;
        }
        let bytes: Uint8Array;
        if (value instanceof DuckDBBlobValue) bytes = value.bytes;
        else if (typeof value === 'string') bytes = Buffer.from(value, 'utf8');
        else {
          info.setError(`${name}: expected a string or binary argument, got ${column.type.toString()}`);
          return;
        }
        output.setItem(row, new DuckDBBlobValue(createHash(name).update(bytes).digest()));
      }
      output.flush();
    },
  });
}

/** Registers the hash functions (instance-wide, see above). */
export function registerUdfs(connection: DuckDBConnection): void {
  for (const name of HASH_UDFS) connection.registerScalarFunction(hashFunction(name));
}
