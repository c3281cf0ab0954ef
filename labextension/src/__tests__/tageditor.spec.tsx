// @vitest-environment jsdom
import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { TagEditor } from '../tageditor';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** The props every editor here shares: cell 3 of a notebook whose earlier steps are load and clean. */
const EDITOR_PROPS = {
  cell: 3,
  earlierSteps: ['load', 'clean'],
  knownSteps: ['load', 'clean'],
  effectiveStep: null,
  onEditSettings: () => undefined
};

function mount(tags: string[], over: Partial<React.ComponentProps<typeof TagEditor>> = {}) {
  const changes: string[][] = [];
  const host = document.createElement('div');
  document.body.appendChild(host);
  let root: Root;
  act(() => {
    root = createRoot(host);
    root.render(<TagEditor {...EDITOR_PROPS} tags={tags} onChange={t => changes.push(t)} {...over} />);
  });
  return { host, changes, unmount: () => act(() => root.unmount()) };
}

function setValue(element: HTMLInputElement | HTMLSelectElement, value: string) {
  const proto = element instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(element, value);
  element.dispatchEvent(new Event(element instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }));
}

/** A TagEditor whose tags follow its own edits, as the cell's metadata would. */
function Live(props: { initial: string[]; onRename?: (from: string, to: string) => void; log: string[][] }) {
  const [tags, setTags] = React.useState(props.initial);
  return (
    <TagEditor
      {...EDITOR_PROPS}
      tags={tags}
      onChange={t => {
        props.log.push(t);
        setTags(t);
      }}
      onRename={props.onRename}
    />
  );
}

function mountLive(initial: string[], onRename?: (from: string, to: string) => void) {
  const log: string[][] = [];
  const host = document.createElement('div');
  document.body.appendChild(host);
  let root: Root;
  act(() => {
    root = createRoot(host);
    root.render(<Live initial={initial} onRename={onRename} log={log} />);
  });
  const role = () => host.querySelector('select[aria-label="Cell role"]') as HTMLSelectElement;
  return { host, log, role, unmount: () => act(() => root.unmount()) };
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

  it.each(['skip', 'imports', 'none'])('gives a step its name and dependencies back after %s and back', away => {
    const original = ['step:train', 'prev:load', 'limit:memory:1Gi'];
    const { log, role, unmount } = mountLive(original);
    act(() => setValue(role(), away));
    act(() => setValue(role(), 'step'));
    expect(log[log.length - 1]).toEqual(original);
    unmount();
  });

  it('renames through onRename (every cell), not only this cell', () => {
    const renames: string[][] = [];
    const { host, log, unmount } = mountLive(['step:load'], (from, to) => renames.push([from, to]));
    const input = host.querySelector('input[aria-label="Step name"]') as HTMLInputElement;
    act(() => setValue(input, 'fetch'));
    act(() => {
      input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    });
    expect(renames).toEqual([['load', 'fetch']]);
    expect(log).toEqual([]);
    unmount();
  });

  it('shows an invalid step tag with a one-click fix', () => {
    const { host, log, unmount } = mountLive(['step:clean data', 'hide-input']);
    const note = host.querySelector('[aria-label="Invalid tag step:clean data"]')!;
    expect(note.textContent).toContain('invalid tag');
    act(() => (note.querySelector('button') as HTMLButtonElement).click());
    expect(log).toEqual([['step:clean_data', 'hide-input']]);
    expect(host.querySelector('[aria-label^="Invalid tag"]')).toBeNull();
    expect((host.querySelector('input[aria-label="Step name"]') as HTMLInputElement).value).toBe('clean_data');
    unmount();
  });

  it.each([
    ['step', ['step:clean_data', 'hide-input']],
    ['skip', ['skip', 'hide-input']]
  ])('choosing the %s role replaces an invalid step tag', (choice, expected) => {
    const { log, role, unmount } = mountLive(['step:clean data', 'hide-input']);
    act(() => setValue(role(), choice));
    expect(log).toEqual([expected]);
    unmount();
  });

  it.each([
    [
      'Escape',
      (host: HTMLElement) =>
        host
          .querySelector('button[aria-label="Depends on"]')!
          .dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))
    ],
    ['an outside click', () => document.body.dispatchEvent(new MouseEvent('mousedown', { bubbles: true }))]
  ])('closes the depends-on popup on %s', (_, dismiss) => {
    const { host, unmount } = mountLive(['step:train']);
    act(() => (host.querySelector('button[aria-label="Depends on"]') as HTMLButtonElement).click());
    expect(host.querySelector('[aria-label="Earlier steps"]')).not.toBeNull();
    act(() => {
      (host.querySelector('[aria-label="Earlier steps"] input') as HTMLInputElement).dispatchEvent(
        new MouseEvent('mousedown', { bubbles: true })
      );
    });
    expect(host.querySelector('[aria-label="Earlier steps"]')).not.toBeNull(); // a click inside keeps it
    act(() => {
      dismiss(host);
    });
    expect(host.querySelector('[aria-label="Earlier steps"]')).toBeNull();
    unmount();
  });
});
