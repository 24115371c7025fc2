// Types of the lazy stand-in: the real package's.
export * from 'undici/index.js';
