/**
 * The fast-check subset that op specs sample with. Interim: re-exports fast-check; only
 * ever imported with `import type`, so it is erased at run time.
 */
export * from 'fast-check';
