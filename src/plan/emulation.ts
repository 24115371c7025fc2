// Which architectures a build on this host needs QEMU for.
import type { Platform } from './inputs.js';

/** Node's process.arch → docker's architecture name. */
export function dockerArchitecture(nodeArch: string): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };
  return map[nodeArch] ?? nodeArch;
}

/** Architectures a host runs without emulation (x86_64 CPUs also run 32-bit x86). */
function nativeArchitectures(hostArch: string): ReadonlySet<string> {
  return new Set(hostArch === 'amd64' ? ['amd64', '386'] : [hostArch]);
}

/** The architectures among `platforms` that need a QEMU emulator on this host. */
export function architecturesNeedingEmulation(platforms: readonly Platform[], hostArch: string): string[] {
  const native = nativeArchitectures(hostArch);
  return [...new Set(platforms.map((platform) => platform.architecture))].filter((arch) => !native.has(arch));
}
