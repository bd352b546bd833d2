/** A Spyglass option or environment variable has a value that cannot be used. The message names the key. */
export class SpyglassConfigError extends Error {
  constructor(
    readonly key: string,
    readonly detail: string,
  ) {
    super(`${key}: ${detail}`);
    this.name = 'SpyglassConfigError';
  }
}
