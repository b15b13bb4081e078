// A line grammar for the subset of Mermaid sequenceDiagram syntax the exporter writes: enough to
// reject broken output (unknown statements, undeclared participants, raw ';' or '#').
const TEXT = '(?:[^#;\\n]|#\\d+;)*';
const PATTERNS = {
  participant: /^\s*participant (\w+) as (.+)$/,
  title: /^\s*title .+$/,
  arrow: new RegExp(`^\\s*(\\w+)(->>|-->>|-x|--x|-\\)|--\\)|->|-->)(\\w+): (${TEXT})$`),
  note: new RegExp(`^\\s*Note (?:over|left of|right of) (\\w+)(?:,(\\w+))?: (${TEXT})$`),
  comment: /^\s*%%.*$/,
};

/** Returns a list of problems (empty = valid). */
export function checkMermaidSequence(text) {
  const problems = [];
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines[0] !== 'sequenceDiagram') problems.push(`first line is ${JSON.stringify(lines[0])}`);
  const declared = new Set();
  let arrows = 0;
  lines.slice(1).forEach((l, i) => {
    let m;
    if ((m = PATTERNS.participant.exec(l))) declared.add(m[1]);
    else if (PATTERNS.title.test(l) || PATTERNS.comment.test(l)) { /* ok */ }
    else if ((m = PATTERNS.arrow.exec(l))) {
      arrows++;
      for (const p of [m[1], m[3]]) if (!declared.has(p)) problems.push(`line ${i + 2}: undeclared participant ${p}`);
    } else if ((m = PATTERNS.note.exec(l))) {
      for (const p of [m[1], m[2]]) if (p && !declared.has(p)) problems.push(`line ${i + 2}: undeclared participant ${p}`);
    } else problems.push(`line ${i + 2}: not a sequenceDiagram statement: ${l}`);
  });
  return { problems, arrows, participants: declared.size };
}
