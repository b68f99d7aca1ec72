/**
 * The one house rule Biome's formatter cannot keep: it does not break string
 * literals, so a long message or template stays one long line. Fails on any
 * tracked source line over MAX characters, naming file and line.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const MAX = 160;
const files = execFileSync('git', ['ls-files', '*.ts', '*.js', '*.mjs'], { encoding: 'utf8' })
  .split('\n')
  .filter((f) => f !== '' && existsSync(f)); // a tracked file deleted in the work tree is not a line to check
const long: string[] = [];
for (const file of files) {
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.length > MAX) long.push(`${file}:${i + 1}: ${line.length} characters (at most ${MAX})`);
    });
}
if (long.length > 0) {
  console.error(long.join('\n'));
  console.error(`${long.length} line(s) over ${MAX} characters: split the string or the template.`);
  process.exit(1);
}
console.log(`line length: ${files.length} files, none over ${MAX} characters`);
