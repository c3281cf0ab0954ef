/** Popups close the way people expect: on Escape and on a click anywhere outside them. */
import * as React from 'react';

export function useDismiss(open: boolean, box: React.RefObject<HTMLElement>, close: () => void): void {
  React.useEffect(() => {
    if (!open) {
      return;
    }
    const onPointer = (event: Event) => {
      if (box.current && !box.current.contains(event.target as Node)) {
        close();
      }
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        event.stopPropagation();
        close();
      }
    };
    document.addEventListener('mousedown', onPointer, true);
    document.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('mousedown', onPointer, true);
      document.removeEventListener('keydown', onKey, true);
    };
  }, [open, box, close]);
}
