import { BadRequestException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';

/** Deepest nesting of objects and arrays a JSON body may have; ours need 3. */
export const MAX_JSON_DEPTH = 32;

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/** A lone UTF-16 surrogate: a paired one is part of a whole code point under the `u` flag. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * body-parser `verify`: refuses a body nested deeper than MAX_JSON_DEPTH before it is parsed.
 * JSON.parse copes with deep nesting, but class-transformer and class-validator walk the result
 * recursively and overflowed the stack (500, ~70 ms of CPU and a stack trace per request). No
 * library counts depth on the raw bytes, so this linear scan is written here: it counts brackets
 * outside strings, and needs no decoding because every byte it looks at is ASCII, which is never
 * part of a multi-byte UTF-8 sequence.
 */
export function refuseDeepJson(_request: IncomingMessage, _response: unknown, body: Buffer, encoding: string): void {
  // RFC 8259: JSON between systems is UTF-8; refusing the rest keeps the byte scan sound.
  if (encoding !== 'utf-8' && encoding !== 'utf8') {
    throw new UnsupportedMediaTypeException(`JSON bodies must be UTF-8, not ${encoding}`);
  }
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (++depth > MAX_JSON_DEPTH) {
        throw new BadRequestException(`JSON body nested deeper than ${MAX_JSON_DEPTH} levels: send a flatter body`);
      }
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth--;
    }
  }
}

/**
 * JSON.parse reviver: refuses lone surrogates (`"\ud800"`) in strings and keys. They are not text;
 * SQLite and PostgreSQL drivers fail on them when they are stored (500), and validators such as
 * IsEmail crash on some of them.
 */
export function refuseLoneSurrogates(key: string, value: unknown): unknown {
  if (LONE_SURROGATE.test(key) || (typeof value === 'string' && LONE_SURROGATE.test(value))) {
    // A SyntaxError, as body-parser strips other errors from JSON.parse; it answers it with 400
    // and Nest passes the message on, as for malformed JSON.
    throw new SyntaxError(
      'JSON body holds a lone UTF-16 surrogate (an invalid \\uD800-\\uDFFF escape): send valid Unicode text',
    );
  }
  return value;
}
