// The architectures docker names, each with the name QEMU (and binfmt_misc entries
// `qemu-<name>`) give it; the one list inputs check platforms against.
const ARCHITECTURES: readonly (readonly [docker: string, qemu: string])[] = [
  ['amd64', 'x86_64'],
  ['arm64', 'aarch64'],
  ['arm', 'arm'],
  ['386', 'i386'],
  ['ppc64le', 'ppc64le'],
  ['s390x', 's390x'],
  ['riscv64', 'riscv64'],
  ['mips64le', 'mips64el'],
  ['mips64', 'mips64'],
  ['loong64', 'loongarch64'],
];

/** Docker architecture → the name QEMU uses for it. */
export const QEMU_NAMES: Readonly<Record<string, string>> = Object.fromEntries(ARCHITECTURES);

/** Every architecture a platform may name, in the order errors list them. */
export const KNOWN_ARCHITECTURES: ReadonlySet<string> = new Set(ARCHITECTURES.map(([docker]) => docker));
