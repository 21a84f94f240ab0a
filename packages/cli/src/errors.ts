/**
 * Errors the command reports as bad input: one line on stderr, exit code 2, no stack trace
 * unless --verbose. pathgrad's own PathgradError subclasses (ShapeError, FormatError, ...)
 * are bad input too: they are thrown on arguments that do not fit.
 */
import { PathgradError } from '@pathgrad/tensor';

/**
 * A problem with what the user asked for; the message names it and says how to fix it.
 * @example
 * ```ts
 * throw new UsageError("--steps must be a positive integer, got 'x' (use e.g. --steps 50)");
 * ```
 */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Exit codes: 0 success, 1 an internal failure, 2 bad input. */
export const EXIT_BAD_INPUT = 2;
export const EXIT_FAILURE = 1;

/**
 * Whether an error is the user's input rather than a bug: UsageError, a PathgradError
 * (thrown on arguments that do not fit), or a file-system error on a path they gave.
 * @example
 * ```ts
 * isBadInput(new UsageError('x')); // true
 * ```
 */
export function isBadInput(err: unknown): boolean {
  if (err instanceof UsageError || err instanceof PathgradError) return true;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  // the file system refusing a path the user gave (outputs are mapped to one line naming it in output.ts)
  return typeof code === 'string' && ['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR', 'EPERM', 'EROFS', 'EEXIST', 'ENOSPC', 'EDQUOT', 'ENAMETOOLONG', 'ELOOP'].includes(code);
}

/**
 * One line describing an error for the terminal (no newlines, no stack).
 * @example
 * ```ts
 * oneLine(new Error('a\nb')); // 'a b'
 * ```
 */
export function oneLine(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  let msg = err instanceof Error ? err.message : String(err);
  if (e?.code === 'ENOENT' && e.path !== undefined) msg = `file not found: ${e.path} (check the path)`;
  else if (e?.code === 'EACCES' && e.path !== undefined) msg = `permission denied: ${e.path} (check its permissions)`;
  else if (e?.code === 'EISDIR' && e.path !== undefined) msg = `${e.path} is a directory, expected a file`;
  return msg.replace(/\s*\n\s*/g, ' ').trim();
}
