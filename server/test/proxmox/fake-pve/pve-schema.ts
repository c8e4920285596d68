import { NAMED_FORMATS } from './pve-formats';

/** A parameter schema as the Proxmox API schema writes it (see fixtures/proxmox/README.md). */
export interface PveSchema {
  type?: string;
  optional?: number;
  format?: string | Record<string, PveSchema>;
  pattern?: string;
  enum?: string[] | null;
  minimum?: number | string;
  maximum?: number | string;
  maxLength?: number;
  minLength?: number;
  default_key?: number;
  alias?: string;
  keyAlias?: string;
  requires?: string;
  /** For indexed properties like net[n]: the largest n (from the schema's "n is 0 to N"). */
  indexMax?: number;
  properties?: Record<string, PveSchema>;
  additionalProperties?: number | boolean;
}

export type SchemaErrors = Record<string, string>;

/**
 * Checks request parameters the way Proxmox's PVE::JSONSchema does: unknown parameters,
 * missing required ones, types (booleans only as 1/0), enums, patterns (anchored), lengths,
 * ranges, named formats and property strings (`virtio,bridge=vmbr0,tag=101`). Returns the errors
 * per parameter with Proxmox's wording; empty when the request is valid.
 */
export function validateParameters(params: Record<string, string>, schema: PveSchema): SchemaErrors {
  const errors: SchemaErrors = {};
  const properties = schema.properties ?? {};
  const indexed = Object.entries(properties).filter(([key]) => key.endsWith('[n]'));
  const schemaFor = (name: string): PveSchema | undefined => {
    if (properties[name]) return properties[name];
    for (const [key, sub] of indexed) {
      const match = new RegExp(`^${escape(key.slice(0, -3))}(\\d+)$`).exec(name);
      if (match && (sub.indexMax === undefined || Number(match[1]) <= sub.indexMax)) return sub;
    }
    return undefined;
  };
  for (const [key, sub] of Object.entries(properties)) {
    if (!key.endsWith('[n]')) checkProperty(params[key], sub, key, errors);
  }
  for (const [name, value] of Object.entries(params)) {
    const sub = schemaFor(name);
    if (!sub) {
      if (!schema.additionalProperties) {
        addError(errors, name, 'property is not defined in schema and the schema does not allow additional properties');
      }
      continue;
    }
    // Named properties were checked above; indexed ones (net0 for net[n]) only now.
    if (!(name in properties)) checkProperty(value, sub, name, errors);
    if (sub.requires && params[sub.requires] === undefined) {
      addError(errors, sub.requires, `missing property - '${name}' requires this property`);
    }
  }
  return errors;
}

function checkProperty(value: string | undefined, schema: PveSchema, path: string, errors: SchemaErrors): void {
  if (value === undefined) {
    if (!schema.optional && !schema.alias) addError(errors, path, 'property is missing and it is not optional');
    return;
  }
  if (!checkType(value, schema.type, path, errors)) return;
  if (schema.format !== undefined) {
    try {
      checkFormat(schema.format, value, path);
    } catch (error) {
      addError(errors, path, `invalid format - ${(error as Error).message}`);
      return;
    }
  }
  if (schema.pattern && !perlRegex(schema.pattern).test(value)) {
    addError(errors, path, 'value does not match the regex pattern');
    return;
  }
  if (schema.maxLength !== undefined && value.length > schema.maxLength) {
    addError(errors, path, `value may only be ${schema.maxLength} characters long`);
    return;
  }
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    addError(errors, path, `value must be at least ${schema.minLength} characters long`);
    return;
  }
  if (isNumber(value)) {
    if (schema.maximum !== undefined && Number(value) > Number(schema.maximum)) {
      addError(errors, path, `value must have a maximum value of ${schema.maximum}`);
      return;
    }
    if (schema.minimum !== undefined && Number(value) < Number(schema.minimum)) {
      addError(errors, path, `value must have a minimum value of ${schema.minimum}`);
      return;
    }
  }
  if (schema.enum && !schema.enum.includes(value)) {
    addError(errors, path, `value '${value}' does not have a value in the enumeration '${schema.enum.join(', ')}'`);
  }
}

function checkType(value: string, type: string | undefined, path: string, errors: SchemaErrors): boolean {
  const ok =
    type === 'boolean'
      ? value === '1' || value === '0'
      : type === 'integer'
        ? /^[+-]?\d+$/.test(value)
        : type === 'number'
          ? isNumber(value)
          : true;
  if (!ok) addError(errors, path, `type check ('${type}') failed - got '${value}'`);
  return ok;
}

function checkFormat(format: string | Record<string, PveSchema>, value: string, path: string): void {
  if (typeof format === 'object') return parsePropertyString(format, value, path);
  const list = /^(.*)-a?list$/.exec(format);
  const optional = /^(.*)-opt$/.exec(format);
  const name = list?.[1] ?? optional?.[1] ?? format;
  const named = NAMED_FORMATS[name];
  if (!named) throw new Error(`undefined format '${format}' (not implemented in the fake Proxmox)`);
  const check = (item: string) => (typeof named === 'function' ? named(item) : parsePropertyString(named, item, path));
  if (list)
    value
      .split(/[\s,;\0]+/)
      .filter(Boolean)
      .forEach(check);
  else if (optional && value === '') return;
  else check(value);
}

/** PVE::JSONSchema::parse_property_string: `key=value,...`, a default key, aliases, then the sub-schema. */
function parsePropertyString(format: Record<string, PveSchema>, data: string, path: string): void {
  const parsed: Record<string, string> = {};
  let defaultKey: string | undefined;
  for (const part of data.split(',')) {
    if (/^\s*$/.test(part)) continue;
    const pair = /^([^=]+)=(.+)$/.exec(part);
    if (pair) {
      let [, key, value] = pair;
      if (parsed[key] !== undefined) throw new Error(`duplicate key in comma-separated list property: ${key}`);
      let schema = format[key];
      if (schema?.alias) {
        if (schema.keyAlias) {
          if (parsed[schema.keyAlias] !== undefined)
            throw new Error(`key alias '${schema.keyAlias}' is already defined`);
          parsed[schema.keyAlias] = key;
        }
        key = schema.alias;
        schema = format[key];
      }
      if (!schema) throw new Error(`invalid key in comma-separated list property: ${key}`);
      if (schema.type === 'boolean')
        value = /^(1|on|yes|true)$/i.test(value) ? '1' : /^(0|off|no|false)$/i.test(value) ? '0' : value;
      parsed[key] = value;
    } else if (!part.includes('=')) {
      if (defaultKey) throw new Error(`duplicate key in comma-separated list property: ${defaultKey}`);
      defaultKey = Object.keys(format).find((key) => format[key].default_key);
      if (!defaultKey) throw new Error('value without key, but schema does not define a default key');
      if (parsed[defaultKey] !== undefined)
        throw new Error(`duplicate key in comma-separated list property: ${defaultKey}`);
      parsed[defaultKey] = part;
    } else {
      throw new Error('missing key in comma-separated list property');
    }
  }
  const errors = validateParameters(parsed, { properties: prefixless(format), additionalProperties: 0 });
  if (Object.keys(errors).length > 0) {
    const lines = Object.entries(errors).map(([key, message]) => `${path}.${key}: ${message}`);
    throw new Error(`format error\n${lines.join('\n')}\n`);
  }
}

/** Aliases are spellings, not properties of their own: leave them out of the object check. */
function prefixless(format: Record<string, PveSchema>): Record<string, PveSchema> {
  return Object.fromEntries(Object.entries(format).filter(([, schema]) => !schema.alias));
}

function addError(errors: SchemaErrors, path: string, message: string): void {
  errors[path] = errors[path] ? `${errors[path]}\n${message}` : message;
}

function isNumber(value: string): boolean {
  return /^[+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)?$/.test(value);
}

/** Perl patterns from the schema as anchored JavaScript regexes (`(?^:...)`, `{,n}`, POSIX classes). */
function perlRegex(pattern: string): RegExp {
  const js = pattern
    .replace(/\(\?\^:/g, '(?:')
    .replace(/\{,(\d+)\}/g, '{0,$1}')
    .replace(/\[:alnum:\]/g, 'a-zA-Z0-9')
    .replace(/\[:alpha:\]/g, 'a-zA-Z');
  return new RegExp(`^(?:${js})$`);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
