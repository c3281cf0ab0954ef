// @vitest-environment jsdom
import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { TagEditor } from '../tageditor';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

function mount(tags: string[], over: Partial<React.ComponentProps<typeof TagEditor>> = {}) {
  const changes: string[][] = [];
  const host = document.createElement('div');
  document.body.appendChild(host);
  let root: Root;
  act(() => {
    root = createRoot(host);
    root.render(
      <TagEditor tags={tags} cell={3} earlierSteps={['load', 'clean']} knownSteps={['load', 'clean']}
        effectiveStep={null} onChange={t => changes.push(t)} onEditSettings={() => undefined} {...over} />
    );
  });
  return { host, changes, unmount: () => act(() => root.unmount()) };
}

function setValue(element: HTMLInputElement | HTMLSelectElement, value: string) {
  const proto = element instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(element, value);
  element.dispatchEvent(new Event(element instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }));
}

describe('TagEditor', () => {
  it('makes a cell a step, suggesting a name', () => {
    const { host, changes, unmount } = mount(['hide-input']);
    const role = host.querySelector('select[aria-label="Cell role"]') as HTMLSelectElement;
    act(() => setValue(role, 'step'));
    expect(changes).toEqual([['step:step_3', 'hide-input']]);
    unmount();
  });

  it('suggests the step the analysis put the cell in', () => {
    const { host, changes, unmount } = mount([], { effectiveStep: 'train' });
    act(() => setValue(host.querySelector('select[aria-label="Cell role"]') as HTMLSelectElement, 'step'));
    expect(changes).toEqual([['step:train']]);
    unmount();
  });

  it('renames a step on Enter and refuses a bad name', () => {
    const { host, changes, unmount } = mount(['step:a']);
    const input = host.querySelector('input[aria-label="Step name"]') as HTMLInputElement;
    act(() => setValue(input, '9lives'));
    act(() => {
      input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    });
    expect(changes).toEqual([]);
    expect(host.querySelector('[role="alert"]')?.textContent).toMatch(/not a step name/);
    act(() => setValue(input, 'train'));
    act(() => {
      input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    });
    expect(changes).toEqual([['step:train']]);
    expect(host.querySelector('datalist')?.querySelectorAll('option').length).toBe(2);
    unmount();
  });

  it('offers earlier steps as dependencies', () => {
    const { host, changes, unmount } = mount(['step:train', 'prev:load']);
    act(() => (host.querySelector('button[aria-label="Depends on"]') as HTMLButtonElement).click());
    const boxes = [...host.querySelectorAll('input[type="checkbox"]')] as HTMLInputElement[];
    expect(boxes.map(b => b.parentElement!.textContent)).toEqual(['load', 'clean']);
    expect(boxes.map(b => b.checked)).toEqual([true, false]);
    act(() => boxes[1].click());
    expect(changes).toEqual([['step:train', 'prev:load', 'prev:clean']]);
    unmount();
  });

  it('drops the step tags when the role becomes Skip', () => {
    const { host, changes, unmount } = mount(['step:a', 'prev:b', 'limit:cpu:1']);
    act(() => setValue(host.querySelector('select[aria-label="Cell role"]') as HTMLSelectElement, 'skip'));
    expect(changes).toEqual([['skip']]);
    unmount();
  });
});
