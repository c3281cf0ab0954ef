/**
 * The panel reads tags as the Python parser does: `tag_cases.json` holds Python's reading
 * of each case (kept true by tests/core/test_tag_parity.py); here the panel reads the same,
 * and a case Python refuses is the panel's first problem, in the same words.
 */
import cases from './tag_cases.json';
import { readCellTags } from '../tags';

interface IPythonReading {
  valid: boolean;
  error?: string;
  step?: string | null;
  role?: string;
  prev?: string[];
  settings?: Record<string, unknown>;
}

describe('the panel reads tags as kale_like does', () => {
  it.each((cases as Array<{ tags: string[]; python: IPythonReading }>).map(c => [JSON.stringify(c.tags), c]))(
    '%s',
    (_name, c) => {
      const read = readCellTags(c.tags);
      if (!c.python.valid) {
        expect(read.problems.length).toBeGreaterThan(0);
        expect(read.problems[0].message).toBe(c.python.error);
        return;
      }
      expect(read.invalid).toEqual([]);
      expect(read.problems).toEqual([]);
      expect({ step: read.step, role: read.role, prev: read.prev, settings: read.settings }).toEqual({
        step: c.python.step,
        role: c.python.role,
        prev: c.python.prev,
        settings: c.python.settings
      });
    }
  );
});
