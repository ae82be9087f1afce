/**
 * A command line the CLI cannot act on: an unknown word where a kind or action goes, a flag
 * value of the wrong form, nothing named. The CLI prints its message and exits 2 (invalid input:
 * nothing was touched), like a ValidationError.
 */
export class UsageError extends Error {}
