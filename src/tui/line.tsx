// One screen line made of styled pieces, cut to a width. Components build lines from pieces so
// the frame never wraps (a wrapped line would push the frame past the terminal's height).
import { Text } from 'ink';

export interface Piece {
  text: string;
  color?: string;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}

/** Cuts pieces to `width` characters; the last visible character becomes '…' when cut. */
export function fitPieces(pieces: readonly Piece[], width: number): Piece[] {
  const out: Piece[] = [];
  let room = Math.max(0, width);
  for (let i = 0; i < pieces.length && room > 0; i++) {
    const p = pieces[i]!;
    if (p.text.length <= room) {
      out.push(p);
      room -= p.text.length;
      continue;
    }
    out.push({ ...p, text: room > 1 ? `${p.text.slice(0, room - 1)}…` : p.text.slice(0, room) });
    room = 0;
  }
  return out;
}

export function fitText(text: string, width: number): string {
  if (text.length <= width) return text;
  return width > 1 ? `${text.slice(0, width - 1)}…` : text.slice(0, Math.max(0, width));
}

export function padText(text: string, width: number): string {
  const cut = fitText(text, width);
  return cut + ' '.repeat(Math.max(0, width - cut.length));
}

export function Line({ pieces, width }: { pieces: readonly Piece[]; width: number }) {
  const fitted = fitPieces(pieces, width);
  return (
    <Text wrap="truncate">
      {fitted.length === 0 ? ' ' : fitted.map((p, i) => (
        <Text key={i} color={p.color} bold={p.bold} dimColor={p.dim} inverse={p.inverse}>
          {p.text}
        </Text>
      ))}
    </Text>
  );
}

/** A section heading: "─ cluster ───…" as wide as the section. */
export function Heading({ title, width, note }: { title: string; width: number; note?: string }) {
  const head = `─ ${title} `;
  const tail = note !== undefined && note !== '' ? ` ${note} ─` : '';
  const rule = '─'.repeat(Math.max(0, width - head.length - tail.length));
  return <Line width={width} pieces={[{ text: head, bold: true, color: 'cyan' }, { text: rule, dim: true }, { text: tail, color: 'cyan' }]} />;
}

/**
 * Wraps pieces into lines of at most `width` characters, breaking at a space when one is in
 * the second half of the line; continuation lines start with `indent` spaces.
 */
export function wrapPieces(pieces: readonly Piece[], width: number, indent = 2): Piece[][] {
  const chars: { ch: string; style: number }[] = [];
  pieces.forEach((p, style) => {
    for (const ch of p.text) chars.push({ ch, style });
  });
  const lines: Piece[][] = [];
  let pos = 0;
  let first = true;
  while (pos < chars.length) {
    const room = Math.max(1, first ? width : width - indent);
    let end = Math.min(chars.length, pos + room);
    if (end < chars.length) {
      for (let k = end; k > pos + room / 2; k--) {
        if (chars[k]!.ch === ' ') {
          end = k;
          break;
        }
      }
    }
    const line: (Piece & { style?: number })[] = first ? [] : [{ text: ' '.repeat(indent) }];
    for (let k = pos; k < end; k++) {
      const c = chars[k]!;
      const last = line[line.length - 1];
      if (last !== undefined && last.style === c.style) last.text += c.ch;
      else line.push({ ...pieces[c.style]!, text: c.ch, style: c.style });
    }
    lines.push(line.map(({ style: _style, ...p }) => p));
    pos = end;
    while (pos < chars.length && chars[pos]!.ch === ' ') pos++;
    first = false;
  }
  return lines;
}
