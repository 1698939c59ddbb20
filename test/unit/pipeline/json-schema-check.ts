/**
 * A small JSON Schema (draft-07) checker for the keywords our pipeline schema uses. It throws on any
 * keyword it does not know, so the schema cannot silently rely on something left unchecked here.
 */
type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(['$schema', 'title', 'description', 'default', 'examples', 'definitions']);

function typeOf(v: unknown): string[] {
  if (v === null) return ['null'];
  if (Array.isArray(v)) return ['array'];
  if (typeof v === 'number') return Number.isInteger(v) ? ['integer', 'number'] : ['number'];
  if (typeof v === 'bigint') return ['integer', 'number'];
  return [typeof v];
}

/** Paths and reasons where `value` breaks `schema` (empty when valid). */
export function checkSchema(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const check = (schema: Schema, v: unknown, at: string, out: string[]): void => {
    for (const [keyword, arg] of Object.entries(schema)) {
      if (ANNOTATIONS.has(keyword)) continue;
      switch (keyword) {
        case '$ref': {
          const name = String(arg).replace('#/definitions/', '');
          const target = (root['definitions'] as Record<string, Schema>)[name];
          if (!target) throw new Error(`unresolved $ref ${String(arg)}`);
          check(target, v, at, out);
          break;
        }
        case 'type': {
          const wanted = Array.isArray(arg) ? (arg as string[]) : [arg as string];
          if (!typeOf(v).some((t) => wanted.includes(t))) out.push(`${at}: expected ${wanted.join('|')}`);
          break;
        }
        case 'enum':
          if (!(arg as unknown[]).includes(v)) out.push(`${at}: not one of ${JSON.stringify(arg)}`);
          break;
        case 'const':
          if (v !== arg) out.push(`${at}: not ${JSON.stringify(arg)}`);
          break;
        case 'required':
          if (typeOf(v)[0] === 'object') {
            for (const k of arg as string[]) if (!Object.hasOwn(v as object, k)) out.push(`${at}: missing ${k}`);
          }
          break;
        case 'properties':
          if (typeOf(v)[0] === 'object') {
            for (const [k, sub] of Object.entries(arg as Record<string, Schema>)) {
              if (Object.hasOwn(v as object, k)) check(sub, (v as Record<string, unknown>)[k], `${at}.${k}`, out);
            }
          }
          break;
        case 'additionalProperties':
          if (typeOf(v)[0] === 'object') {
            const known = Object.keys((schema['properties'] as object | undefined) ?? {});
            for (const [k, child] of Object.entries(v as object)) {
              if (known.includes(k)) continue;
              if (arg === false) out.push(`${at}.${k}: not allowed`);
              else if (typeof arg === 'object') check(arg as Schema, child, `${at}.${k}`, out);
            }
          }
          break;
        case 'items':
          if (Array.isArray(v)) {
            v.forEach((item, i) => {
              const sub = Array.isArray(arg) ? (arg[i] as Schema | undefined) : (arg as Schema);
              if (sub) check(sub, item, `${at}[${i}]`, out);
            });
          }
          break;
        case 'minItems':
          if (Array.isArray(v) && v.length < (arg as number)) out.push(`${at}: fewer than ${String(arg)} items`);
          break;
        case 'maxItems':
          if (Array.isArray(v) && v.length > (arg as number)) out.push(`${at}: more than ${String(arg)} items`);
          break;
        case 'minLength':
          if (typeof v === 'string' && [...v].length < (arg as number)) out.push(`${at}: shorter than ${String(arg)}`);
          break;
        case 'minimum':
          if (typeof v === 'number' && v < (arg as number)) out.push(`${at}: below ${String(arg)}`);
          break;
        case 'allOf':
          for (const sub of arg as Schema[]) check(sub, v, at, out);
          break;
        case 'anyOf':
        case 'oneOf': {
          const passing = (arg as Schema[]).filter((sub) => {
            const e: string[] = [];
            check(sub, v, at, e);
            return e.length === 0;
          }).length;
          if (keyword === 'anyOf' ? passing === 0 : passing !== 1) out.push(`${at}: ${keyword} matched ${passing} alternatives`);
          break;
        }
        default:
          throw new Error(`json-schema-check does not support the keyword ${keyword}`);
      }
    }
  };
  check(root, value, '$', errors);
  return errors;
}
