// What may be written into Asterisk's configuration files. Asterisk's config parser
// (main/config.c) reads `;` as the start of a comment (`\;` escapes it, `;--` opens a block
// comment), `#` at the start of a line as a directive (#include, #exec), `[` … `]` and a
// following `(…)` as a section header and its template, the first `=` (or `=>`, `+=`) as the
// end of a setting's name, and it trims blanks around values; a line break starts a new
// setting or section. Quotes are kept by the parser but stripped by some modules. So every
// value the controller writes there is held to a character set without any of these, and a
// refusal names the setting and the character (never the value: it may be a password).
// env.ts checks the settings with these rules; src/asterisk/render-config.ts checks every
// value again right where it is written.

/** The punctuation a password or secret may hold, besides ASCII letters and digits. */
const SECRET_PUNCTUATION = '!$%&()*+,-./:<>?@^_{|}~';

export type TextKind = 'secret' | 'name' | 'address' | 'dial';

const ALLOWED: Record<TextKind, { test: RegExp; hint: string }> = {
  // Printable ASCII without ; # [ ] = " ' ` \ and the space.
  secret: { test: /^[A-Za-z0-9!$%&()*+,\-./:<>?@^_{|}~]$/, hint: `letters, digits and ${SECRET_PUNCTUATION}` },
  // Section names (ARI and AMI users), application names, prompt paths.
  name: { test: /^[A-Za-z0-9._-]$/, hint: 'letters, digits, ".", "_" and "-"' },
  // IP addresses, host names, networks (address/prefix or address/mask), lists of them.
  address: { test: /^[A-Za-z0-9.:/,-]$/, hint: 'letters, digits, ".", ":", "/", "," and "-"' },
  // An Asterisk dial string: TECH/resource, `&` between parallel targets.
  dial: { test: /^[A-Za-z0-9/@&._:+*#-]$/, hint: 'letters, digits and /@&._:+*#-' },
};

const WHY: Record<string, string> = {
  ';': 'starts a comment in Asterisk\'s configuration files',
  '#': 'starts a directive such as #include or #exec',
  '[': 'opens a section header',
  ']': 'closes a section header',
  '=': 'ends a setting\'s name',
  '"': 'a quote, stripped by some Asterisk modules',
  "'": 'a quote, stripped by some Asterisk modules',
  '`': 'a quote, stripped by some Asterisk modules',
  '\\': 'Asterisk\'s escape character',
  ',': 'separates arguments and list items',
  '(': 'opens a template or an argument list',
  ')': 'closes a template or an argument list',
  '$': 'starts a ${…} expansion in the dialplan',
  ':': 'separates the user from the password in HTTP authentication',
};

/** A character as a person reads it in an error message: `";" (starts a comment …)`. */
function describeCharacter(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  if (ch === ' ') return 'a space (Asterisk trims or splits values at blanks)';
  if (ch === '\t') return `a tab (${hex}, Asterisk trims or splits values at blanks)`;
  if (ch === '\n' || ch === '\r') {
    return `a line break (${hex}: it would start a new line of the configuration file)`;
  }
  if (code < 0x20 || code === 0x7f) return `a control character (${hex})`;
  if (code > 0x7e) return `${JSON.stringify(ch)} (${hex}, not printable ASCII)`;
  const why = WHY[ch];
  return why ? `${JSON.stringify(ch)} (${why})` : JSON.stringify(ch);
}

/** The distinct characters of `value` that `kind` does not allow, in order of appearance. */
function disallowedCharacters(value: string, kind: TextKind): string[] {
  const seen = new Set<string>();
  for (const ch of value) if (!ALLOWED[kind].test.test(ch)) seen.add(ch);
  return [...seen];
}

/** Why `value` may not be written as `setting`, or undefined if it may. */
export function configTextProblem(setting: string, value: string, kind: TextKind): string | undefined {
  const bad = disallowedCharacters(value, kind);
  if (bad.length === 0) return undefined;
  return `${setting} must not contain ${bad.map(describeCharacter).join(', ')}; use ${ALLOWED[kind].hint}`;
}

/** Why `value` may not name a user's section in `file`: `[general]` is the file's own section. */
export function userSectionProblem(setting: string, value: string, file: string): string | undefined {
  return value.toLowerCase() === 'general'
    ? `${setting} must not be "${value}": that is the name of ${file}'s own [general] section`
    : undefined;
}
