/**
 * Readers for serde's leaf types. Each reports its own error and returns undefined on failure;
 * no reader coerces (a number is never a string, `"true"` is never a boolean).
 */
import { type DecodeContext, type Path, describeValue, invalidType, isPlainObject } from './decode-context.js';

export type Reader<T> = (ctx: DecodeContext, v: unknown, path: Path) => T | undefined;

export const readString: Reader<string> = (ctx, v, path) => {
  if (typeof v === 'string') return v;
  ctx.error(path, invalidType(v, 'a string'));
  return undefined;
};

export const readBool: Reader<boolean> = (ctx, v, path) => {
  if (typeof v === 'boolean') return v;
  ctx.error(path, invalidType(v, 'a boolean'));
  return undefined;
};

function readInteger(ctx: DecodeContext, v: unknown, path: Path, name: string, min: bigint, max: bigint): number | undefined {
  const isInt = typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
  if (!isInt) {
    ctx.error(path, invalidType(v, name));
    return undefined;
  }
  const big = BigInt(v as number | bigint);
  if (big < min || big > max) {
    ctx.error(path, `invalid value: ${describeValue(v)}, expected ${name}`);
    return undefined;
  }
  return Number(big);
}

/** Rust `usize` (64-bit): a non-negative integer. */
export const readUsize: Reader<number> = (ctx, v, path) => readInteger(ctx, v, path, 'usize', 0n, 2n ** 64n - 1n);

/** Rust `i64`. */
export const readI64: Reader<number> = (ctx, v, path) => readInteger(ctx, v, path, 'i64', -(2n ** 63n), 2n ** 63n - 1n);

/** Rust `char`: a string of exactly one Unicode scalar value. */
export const readChar: Reader<string> = (ctx, v, path) => {
  if (typeof v !== 'string') {
    ctx.error(path, invalidType(v, 'a character'));
    return undefined;
  }
  if ([...v].length !== 1) {
    ctx.error(path, `invalid value: ${describeValue(v)}, expected a character`);
    return undefined;
  }
  return v;
};

/** `Option<T>`: null (or absent) is None. */
export function readOption<T>(inner: Reader<T>): Reader<T | null> {
  return (ctx, v, path) => (v === null || v === undefined ? null : inner(ctx, v, path));
}

/** `Vec<T>`: every item is read (so all item errors are reported); undefined if any failed. */
export function readSeq<T>(item: Reader<T>): Reader<T[]> {
  return (ctx, v, path) => {
    if (!Array.isArray(v)) {
      ctx.error(path, invalidType(v, 'a sequence'));
      return undefined;
    }
    const out: T[] = [];
    let ok = true;
    v.forEach((raw, i) => {
      const r = item(ctx, raw, [...path, i]);
      if (r === undefined) ok = false;
      else out.push(r);
    });
    return ok ? out : undefined;
  };
}

/** `HashMap<String, T>` (insertion order kept). */
export function readMap<T>(value: Reader<T>): Reader<Record<string, T>> {
  return (ctx, v, path) => {
    if (!isPlainObject(v)) {
      ctx.error(path, invalidType(v, 'a map'));
      return undefined;
    }
    const entries: Array<[string, T]> = [];
    let ok = true;
    for (const [k, raw] of Object.entries(v)) {
      const r = value(ctx, raw, [...path, k]);
      if (r === undefined) ok = false;
      else entries.push([k, r]);
    }
    return ok ? Object.fromEntries(entries) : undefined;
  };
}

export const readStringMap = readMap(readString);
export const readStringList = readSeq(readString);

/** The object itself when every field was read, undefined when any reader failed. */
export function complete<T extends object>(fields: { [K in keyof T]: T[K] | undefined }): T | undefined {
  return Object.values(fields).some((v) => v === undefined) ? undefined : (fields as T);
}
