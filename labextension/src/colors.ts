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

/**
 * Colours for the steps of one pipeline: each step keeps its hash colour unless a
 * neighbour (the step before it in notebook order, or one it depends on) already
 * has it; then it takes the next palette colour no neighbour has.
 */
export function assignStepColors(
  order: ReadonlyArray<string>,
  edges: ReadonlyArray<readonly [string, string]>
): Map<string, string> {
  const colors = new Map<string, string>();
  order.forEach((name, i) => {
    const taken = new Set<string>();
    const before = order[i - 1];
    if (before !== undefined) {
      taken.add(colors.get(before)!);
    }
    for (const [from, to] of edges) {
      const other = to === name ? from : from === name ? to : null;
      if (other !== null && colors.has(other)) {
        taken.add(colors.get(other)!);
      }
    }
    const start = STEP_PALETTE.indexOf(stepColor(name));
    let color = STEP_PALETTE[start];
    for (let k = 0; k < STEP_PALETTE.length && taken.has(color); k++) {
      color = STEP_PALETTE[(start + k + 1) % STEP_PALETTE.length];
    }
    colors.set(name, color);
  });
  return colors;
}
