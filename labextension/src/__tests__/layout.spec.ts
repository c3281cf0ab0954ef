import { stepColor, STEP_PALETTE } from '../colors';
import { layerSteps, layoutDag } from '../layout';

describe('DAG layout', () => {
  it('puts each step below everything it depends on', () => {
    const layers = layerSteps(
      ['a', 'b', 'c', 'd'],
      [
        ['a', 'b'],
        ['a', 'c'],
        ['b', 'd'],
        ['c', 'd'],
        ['a', 'd']
      ]
    );
    expect(Object.fromEntries(layers)).toEqual({ a: 0, b: 1, c: 1, d: 2 });
  });

  it('survives cycles and unknown steps', () => {
    const layers = layerSteps(
      ['a', 'b'],
      [
        ['a', 'b'],
        ['b', 'a'],
        ['x', 'a']
      ]
    );
    expect(layers.size).toBe(2);
  });

  it('draws one path per edge, pointing down', () => {
    const layout = layoutDag(
      ['a', 'b', 'c'],
      [
        ['a', 'b'],
        ['a', 'c']
      ]
    );
    expect(layout.nodes.map(n => n.layer)).toEqual([0, 1, 1]);
    expect(layout.edges.map(e => `${e.from}->${e.to}`)).toEqual(['a->b', 'a->c']);
    const [b, c] = layout.nodes.slice(1);
    expect(b.y).toBe(c.y);
    expect(b.x).toBeLessThan(c.x);
    expect(layout.width).toBeGreaterThan(0);
  });
});

describe('step colours', () => {
  it('are stable and come from the palette', () => {
    expect(stepColor('train')).toBe(stepColor('train'));
    expect(STEP_PALETTE).toContain(stepColor('load'));
    const colours = new Set(['load', 'clean', 'train', 'evaluate', 'report'].map(stepColor));
    expect(colours.size).toBeGreaterThan(2);
  });
});
