/**
 * Ethereum's logs bloom (yellow paper §4.3.1): 2048 bits; an address or topic sets the three bits
 * named by the first three pairs of bytes of its keccak, each taken modulo 2048. A block whose
 * bloom lacks an address holds no log of it; a bloom that has it may be a false positive.
 */
import { getBytes, keccak256 } from "ethers";

/** The three bit positions an item (an address or a topic) sets. */
export function bloomBits(item: string): [number, number, number] {
  const h = getBytes(keccak256(item));
  return [0, 2, 4].map((i) => ((h[i] << 8) | h[i + 1]) & 2047) as [number, number, number];
}

/** Whether `bloom` (0x + 512 hex) may contain an item with these bits. */
export function bloomMayContain(bloom: string, bits: readonly number[]): boolean {
  if (!/^0x[0-9a-fA-F]{512}$/.test(bloom)) return true; // no usable bloom: assume it may
  return bits.every((bit) => {
    const byte = 255 - Math.floor(bit / 8);
    return (parseInt(bloom.slice(2 + 2 * byte, 4 + 2 * byte), 16) & (1 << bit % 8)) !== 0;
  });
}
