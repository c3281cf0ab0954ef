/**
 * Stable step colours: a step keeps its colour across sessions and machines
 * because it is chosen from a hash of the step's name, not from its position.
 */

export const STEP_PALETTE: ReadonlyArray<string> = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
  '#7f7f7f',
  '#3949ab',
  '#00897b'
];

/** FNV-1a, 32 bit: tiny, and spreads short similar names well. */
function hashName(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export function stepColor(name: string): string {
  return STEP_PALETTE[hashName(name) % STEP_PALETTE.length];
}
