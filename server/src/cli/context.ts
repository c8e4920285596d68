import type { Command } from 'commander';
import { ApiClient } from './api-client';
import type { CliOutput } from './output';

/** What every command action gets: the API, where to print, and whether to print JSON. */
export interface CliContext {
  api: ApiClient;
  output: CliOutput;
  json: boolean;
}

export type ContextFactory = (command: Command) => CliContext;
