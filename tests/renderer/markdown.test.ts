import { describe, expect, it } from 'vitest';
import { parseMarkdown } from '../../src-renderer/src/lib/markdown';

describe('instructions markdown', () => {
  it('parses headings, lists, emphasis and code into a tree of text runs', () => {
    const blocks = parseMarkdown('# Task\n\nPick **one** concept.\n\n1. Read the *answer*\n2. Press `1`–`4`\n');
    expect(blocks[0]).toEqual({ kind: 'heading', level: 1, children: [{ kind: 'text', text: 'Task' }] });
    expect(blocks[1]).toEqual({
      kind: 'paragraph',
      children: [
        { kind: 'text', text: 'Pick ' },
        { kind: 'strong', children: [{ kind: 'text', text: 'one' }] },
        { kind: 'text', text: ' concept.' },
      ],
    });
    expect(blocks[2]).toMatchObject({ kind: 'list', ordered: true, start: 1 });
    const list = blocks[2] as Extract<(typeof blocks)[number], { kind: 'list' }>;
    expect(JSON.stringify(list.items[1])).toContain('"kind":"code","text":"1"');
  });

  it('keeps raw HTML as visible text, never as markup', () => {
    const text = JSON.stringify(parseMarkdown('Careful <script>alert(1)</script> and <img src=x onerror=alert(2)>'));
    expect(text).toContain('<script>');
    expect(text).toContain('<img src=x onerror=alert(2)>');
    for (const block of parseMarkdown('<div onclick="x()">hi</div>')) expect(['paragraph']).toContain(block.kind);
  });
});
