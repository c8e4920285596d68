/**
 * cmdline.txt edits. The file is one line; every edit keeps it one line and leaves the tokens it
 * does not own alone.
 */

/** systemd runs `scriptPath` once instead of the default target, then reboots (as Raspberry Pi Imager wires it). */
export function firstRunTokens(scriptPath: string): string[] {
  return [`systemd.run=${scriptPath}`, 'systemd.run_success_action=reboot', 'systemd.unit=kernel-command-line.target'];
}

/** cmdline.txt wired to run `scriptPath` on the next boot; wiring left by an earlier run is replaced. */
export function cmdlineWithFirstRun(cmdline: string, scriptPath: string): string {
  const kept = tokens(cmdline).filter(
    (token) =>
      !token.startsWith('systemd.run=') &&
      !token.startsWith('systemd.run_success_action=') &&
      token !== 'systemd.unit=kernel-command-line.target',
  );
  return `${[...kept, ...firstRunTokens(scriptPath)].join(' ')}\n`;
}

/**
 * Points cloud-init's NoCloud seed (`ds=nocloud;i=<instance-id>;...`) at this deployment's
 * instance id, when the image has such a token; a new instance id makes cloud-init apply the
 * per-instance settings again instead of trusting the master's state.
 */
export function cmdlineWithInstanceId(cmdline: string, instanceId: string): string {
  const edited = tokens(cmdline).map((token) => {
    if (!/^ds=nocloud(-net)?(;|$)/.test(token)) return token;
    const [source, ...settings] = token.split(';');
    return [source, ...settings.filter((setting) => !/^(i|instance-id)=/.test(setting)), `i=${instanceId}`].join(';');
  });
  return `${edited.join(' ')}\n`;
}

function tokens(cmdline: string): string[] {
  return cmdline.split(/\s+/).filter(Boolean);
}
