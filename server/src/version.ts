import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function readVersion(): string {
  // The root package.json is two folders up from both server/src (tests) and dist/server.
  try {
    return JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')).version as string;
  } catch {
    return '0.0.0';
  }
}

export const SERVER_VERSION = readVersion();
