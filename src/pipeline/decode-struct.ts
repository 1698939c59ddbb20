/**
 * serde-derived structs and enum tags: field names with aliases, missing and duplicate fields,
 * unknown keys (accepted, reported as warnings), variant names.
 */
import { type DecodeContext, type Path, type PlainObject, invalidType, isPlainObject, showName } from './decode-context.js';
import type { Reader } from './decode-scalars.js';

export interface FieldSpec {
  name: string;
  aliases?: readonly string[];
}

export interface StructOptions {
  /** Keys that belong to an enclosing enum (the `type` tag of an internally tagged enum). */
  tagKeys?: readonly string[];
  /** Keys the original ignores that are common enough in real pipelines not to warn about. */
  quietKeys?: readonly string[];
}

export class StructReader {
  private readonly found = new Map<string, { key: string; value: unknown }>();

  constructor(
    private readonly ctx: DecodeContext,
    obj: PlainObject,
    readonly path: Path,
    fields: readonly FieldSpec[],
    opts: StructOptions = {},
  ) {
    const byKey = new Map<string, string>();
    for (const f of fields) for (const k of [f.name, ...(f.aliases ?? [])]) byKey.set(k, f.name);
    const ignored = new Set([...(opts.tagKeys ?? []), ...(opts.quietKeys ?? [])]);
    for (const [key, value] of Object.entries(obj)) {
      const name = byKey.get(key);
      if (name === undefined) {
        if (!ignored.has(key)) ctx.warn(() => [...path, key], () => unknownFieldMessage(key, [...byKey.keys()]));
      } else if (this.found.has(name)) {
        ctx.error([...path, key], `duplicate field \`${name}\``, 'key');
      } else {
        this.found.set(name, { key, value });
      }
    }
  }

  has(name: string): boolean {
    return this.found.has(name);
  }

  /** Path of a field as written (with the alias the document used). */
  fieldPath(name: string): Path {
    return [...this.path, this.found.get(name)?.key ?? name];
  }

  /** A field without a default: absent is `missing field`. */
  required<T>(name: string, reader: Reader<T>): T | undefined {
    const f = this.found.get(name);
    if (!f) {
      this.ctx.error(this.path, `missing field \`${name}\``);
      return undefined;
    }
    return reader(this.ctx, f.value, [...this.path, f.key]);
  }

  /** A field with a default (or an `Option`): the default applies only when the key is absent. */
  optional<T>(name: string, reader: Reader<T>, fallback: T): T | undefined {
    const f = this.found.get(name);
    return f ? reader(this.ctx, f.value, [...this.path, f.key]) : fallback;
  }
}

/** Starts reading a struct; reports ``invalid type: ..., expected struct X`` for a non-map. */
export function openStruct(
  ctx: DecodeContext, v: unknown, path: Path, structName: string, fields: readonly FieldSpec[], opts?: StructOptions,
): StructReader | undefined {
  if (!isPlainObject(v)) {
    ctx.error(path, invalidType(v, `struct ${structName}`));
    return undefined;
  }
  return new StructReader(ctx, v, path, fields, opts);
}

export interface EnumSpec<N extends string> {
  enumName: string;
  /** Per variant: the output name and every accepted input spelling, in serde's (byte-sorted) order. */
  variants: ReadonlyArray<{ name: N; accepts: readonly string[] }>;
}

export function acceptedNames(spec: EnumSpec<string>): string[] {
  return spec.variants.flatMap((v) => v.accepts);
}

/** serde's `unknown variant` message: ``unknown variant `x`, expected one of `a`, `b`, `c` ``. */
export function unknownVariantMessage(value: string, expected: readonly string[]): string {
  const q = expected.map((e) => `\`${e}\``);
  const shown = showName(value);
  if (q.length === 0) return `unknown variant ${shown}, there are no variants`;
  if (q.length === 1) return `unknown variant ${shown}, expected ${q[0]}`;
  if (q.length === 2) return `unknown variant ${shown}, expected ${q[0]} or ${q[1]}`;
  return `unknown variant ${shown}, expected one of ${q.join(', ')}`;
}

/** Resolves an enum tag value to its variant name (case-sensitive, aliases included). */
export function resolveVariant<N extends string>(ctx: DecodeContext, spec: EnumSpec<N>, tag: unknown, path: Path): N | undefined {
  if (typeof tag !== 'string') {
    ctx.error(path, invalidType(tag, 'variant identifier'));
    return undefined;
  }
  const hit = spec.variants.find((v) => v.accepts.includes(tag));
  if (!hit) ctx.error(path, unknownVariantMessage(tag, acceptedNames(spec)));
  return hit?.name;
}

function unknownFieldMessage(key: string, known: readonly string[]): string {
  const suggestion = closest(key, known);
  const base = `unknown field ${showName(key)}, ignored`;
  return suggestion === undefined ? base : `${base}; did you mean \`${suggestion}\`?`;
}

/** Keys longer than this are never typos of a field name (and their edit distance would cost key × name). */
const MAX_SUGGESTED_KEY = 64;

/** The known name closest to `key` if it is plausibly a typo of it. */
export function closest(key: string, known: readonly string[]): string | undefined {
  if (key.length > MAX_SUGGESTED_KEY) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.floor(key.length / 4));
  return bestDistance <= limit ? best : undefined;
}

/** Edit distance counting a swap of two neighbouring letters as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

export interface AdjacentValue<N extends string> {
  variant: N;
  /** The content, for newtype variants only. */
  content?: { value: unknown; path: Path };
}

/**
 * An adjacently tagged enum (`{type: csv, options: {...}}`): newtype variants require the content
 * key, unit variants tolerate it only as null.
 */
export function readAdjacent<N extends string>(
  ctx: DecodeContext, v: unknown, path: Path, spec: EnumSpec<N>,
  keys: { tag: string; content: string }, unitVariants: readonly N[],
): AdjacentValue<N> | undefined {
  if (!isPlainObject(v)) {
    ctx.error(path, invalidType(v, `adjacently tagged enum ${spec.enumName}`));
    return undefined;
  }
  const r = new StructReader(ctx, v, path, [{ name: keys.tag }, { name: keys.content }]);
  const variant = r.required(keys.tag, (c, tag, p) => resolveVariant(c, spec, tag, p));
  if (variant === undefined) return undefined;
  const content = r.optional<unknown>(keys.content, (_c, value) => value, undefined);
  if (unitVariants.includes(variant)) {
    if (content === undefined || content === null) return { variant };
    ctx.error(r.fieldPath(keys.content), invalidType(content, 'unit variant'));
    return undefined;
  }
  if (!r.has(keys.content)) {
    ctx.error(path, `missing field \`${keys.content}\``);
    return undefined;
  }
  return { variant, content: { value: content, path: r.fieldPath(keys.content) } };
}

/** Reads an internally tagged enum value (tag key `type`): checks the tag, then opens the variant's struct. */
export function readTagged<N extends string>(
  ctx: DecodeContext, v: unknown, path: Path, spec: EnumSpec<N>, fields: Record<N, FieldSpec[]>,
): { variant: N; s: StructReader } | undefined {
  if (!isPlainObject(v)) {
    ctx.error(path, invalidType(v, `internally tagged enum ${spec.enumName}`));
    return undefined;
  }
  if (!Object.hasOwn(v, 'type')) {
    ctx.error(path, 'missing field `type`');
    return undefined;
  }
  const variant = resolveVariant(ctx, spec, v['type'], [...path, 'type']);
  if (variant === undefined) return undefined;
  return { variant, s: new StructReader(ctx, v, path, fields[variant], { tagKeys: ['type'] }) };
}

