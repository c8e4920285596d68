/**
 * A failure that ends the install. Its message is what the unit reports as `failed` and prints
 * on the serial console, so it says what went wrong and, where it can, what to do about it.
 */
export class InstallError extends Error {
  override readonly name = 'InstallError';
}
