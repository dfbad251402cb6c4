// Markdown for campaign instructions, parsed by marked's lexer into a small tree of blocks and
// inline runs that Svelte renders as elements with text children. Nothing is ever inserted as HTML:
// raw HTML in the source comes out as visible text, links show their text and address but are
// not followed (the app blocks navigation anyway).
import { Lexer, type Token, type Tokens } from 'marked';

export type Inline =
  | { kind: 'text'; text: string }
  | { kind: 'strong' | 'em' | 'del'; children: Inline[] }
  | { kind: 'code'; text: string }
  | { kind: 'link'; children: Inline[]; href: string }
  | { kind: 'break' };

export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3 | 4 | 5 | 6; children: Inline[] }
  | { kind: 'paragraph'; children: Inline[] }
  | { kind: 'list'; ordered: boolean; start: number; items: Block[][] }
  | { kind: 'code'; text: string }
  | { kind: 'quote'; children: Block[] }
  | { kind: 'rule' };

function inline(tokens: Token[] | undefined): Inline[] {
  return (tokens ?? []).flatMap((token): Inline[] => {
    switch (token.type) {
      case 'strong':
      case 'em':
      case 'del':
        return [{ kind: token.type, children: inline((token as Tokens.Strong).tokens) }];
      case 'codespan':
        return [{ kind: 'code', text: (token as Tokens.Codespan).text }];
      case 'link':
        return [{ kind: 'link', children: inline((token as Tokens.Link).tokens), href: (token as Tokens.Link).href }];
      case 'br':
        return [{ kind: 'break' }];
      case 'text':
        return (token as Tokens.Text).tokens
          ? inline((token as Tokens.Text).tokens)
          : [{ kind: 'text', text: (token as Tokens.Text).text }];
      case 'escape':
        return [{ kind: 'text', text: (token as Tokens.Escape).text }];
      default:
        // html, images and anything else: shown as the source text it came from.
        return [{ kind: 'text', text: token.raw }];
    }
  });
}

function blocks(tokens: Token[]): Block[] {
  return tokens.flatMap((token): Block[] => {
    switch (token.type) {
      case 'heading':
        return [
          {
            kind: 'heading',
            level: (token as Tokens.Heading).depth as 1,
            children: inline((token as Tokens.Heading).tokens),
          },
        ];
      case 'paragraph':
        return [{ kind: 'paragraph', children: inline((token as Tokens.Paragraph).tokens) }];
      case 'text':
        return [
          {
            kind: 'paragraph',
            children: inline(
              (token as Tokens.Text).tokens ?? [{ type: 'text', raw: token.raw, text: token.raw } as Token],
            ),
          },
        ];
      case 'list': {
        const list = token as Tokens.List;
        return [
          {
            kind: 'list',
            ordered: list.ordered,
            start: Number(list.start) || 1,
            items: list.items.map((item) => blocks(item.tokens)),
          },
        ];
      }
      case 'code':
        return [{ kind: 'code', text: (token as Tokens.Code).text }];
      case 'blockquote':
        return [{ kind: 'quote', children: blocks((token as Tokens.Blockquote).tokens) }];
      case 'hr':
        return [{ kind: 'rule' }];
      case 'space':
        return [];
      default:
        return [{ kind: 'paragraph', children: [{ kind: 'text', text: token.raw }] }];
    }
  });
}

export function parseMarkdown(source: string): Block[] {
  return blocks(new Lexer({ gfm: true }).lex(source));
}
