import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture } from './capture';
import { chunkStore } from './chunk-store';
import { deploymentsLoad } from './deployments-load';
import { fleet } from './fleet';
import { imagesDownload } from './images-download';
import { installerWrite } from './installer-write';
import { ROOT } from './support';

/** One measured figure: ours against the real baseline of the same run. */
export interface BenchRow {
  suite: string;
  case: string;
  ours: string;
  baseline: string;
  /** ours / baseline, in the direction where higher is better. */
  ratio: number;
  target: string;
  pass: boolean;
}

const SUITES: Record<string, (work: string) => Promise<BenchRow[]>> = {
  'images-download': imagesDownload,
  'deployments-load': deploymentsLoad,
  'installer-write': installerWrite,
  'chunk-store': chunkStore,
  capture,
  fleet,
};

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const work = mkdtempSync(join(tmpdir(), 'rpi-bench-work-'));
  const rows: BenchRow[] = [];
  try {
    for (const [name, suite] of Object.entries(SUITES)) {
      if (only.length > 0 && !only.includes(name)) continue;
      process.stderr.write(`bench: ${name}...\n`);
      rows.push(...(await suite(work)));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.table(rows.map((row) => ({ ...row, ratio: row.ratio.toFixed(2) })));
  const folder = join(ROOT, 'tmp/bench');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'results.json'), JSON.stringify({ at: new Date().toISOString(), rows }, null, 2));
  console.log(`results written to tmp/bench/results.json`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
