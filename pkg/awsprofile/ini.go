package awsprofile

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file is the INI dialect the AWS readers share. Two parsers meet a
// user's files: botocore's (Python's configparser.RawConfigParser plus
// botocore's configloader), which boto3 and the AWS CLI use, and
// aws-sdk-go-v2's config/internal/ini, which Go tools use. They agree on
// the plain form and disagree at the edges: aws-sdk-go-v2 cuts a section
// line at '#' or ';' and a key line at a blank followed by one, strips
// quotes around a value, ignores keys outside any section and lines it
// cannot read, and merges duplicates; configparser fails the whole file on
// those, keeps a [DEFAULT] section apart and merges its keys into every
// other one. So the parser below accepts only the lines both read alike,
// and refuses the rest naming the line: a file it accepts means one thing
// to every reader, and an edit that adds, replaces or removes whole
// sections keeps every other byte, so every other profile reads as before.
//
// Neither reader knows backslash continuation. A line indented deeper than
// the key above it continues that key (configparser counts a tab as one
// column; aws-sdk-go-v2 takes any indented line): a key with an empty value
// then holds nested settings ("s3 =" and indented "name = value" lines),
// and a key with a value gets the line appended after a newline.

// fileKind says which of the two files is read: they name their sections
// differently.
type fileKind int

const (
	configFile fileKind = iota
	credentialsFile
)

// iniFile is a parsed file: its lines as read, and its sections.
type iniFile struct {
	kind  fileKind
	lines []string
	// endsInNewline: the last line had its newline; a section appended
	// after one that had not needs one first.
	endsInNewline bool
	sections      []*iniSection
}

// iniSection is one section: where its lines are, and what it holds.
type iniSection struct {
	// header is the text between the brackets.
	header string
	// profile is the profile the readers make of it, "" for a section
	// that is no profile (sso-session, services, plugins...).
	profile string
	// start is the header's line; end is past its last key or
	// continuation line, so comments and blank lines before the next
	// section stay with what follows.
	start, end int
	keys       []iniKey
}

// iniKey is one setting, its name lower-cased as both readers do.
type iniKey struct {
	name  string
	value string
	// nested holds the indented "name = value" lines under a key whose
	// own value is empty, in order; nil for a plain value.
	nested [][2]string
}

func (s *iniSection) get(name string) (iniKey, bool) {
	for _, k := range s.keys {
		if k.name == name {
			return k, true
		}
	}
	return iniKey{}, false
}

// ParseError says where a file cannot be read the same way by all the AWS
// readers. It names the file and line and what is wrong, never the line's
// text: a credentials file holds secret keys.
type ParseError struct {
	Path string
	Line int
	What string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s, line %d: %s; the AWS CLI and SDKs would not all read it the same way, so the file is left as it is: fix that line and run the step again", e.Path, e.Line, e.What)
}

// profileFor returns the section holding the profile, or nil.
func (f *iniFile) profileFor(name string) *iniSection {
	for _, s := range f.sections {
		if s.profile == name {
			return s
		}
	}
	return nil
}

// parseINI reads data as the AWS readers would, or fails with a
// *ParseError naming path and the first line they would read differently.
func parseINI(path string, kind fileKind, data []byte) (*iniFile, error) {
	text := string(data)
	f := &iniFile{kind: kind, endsInNewline: text == "" || strings.HasSuffix(text, "\n")}
	if text != "" {
		f.lines = strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	}
	fail := func(i int, format string, args ...any) error {
		return &ParseError{Path: path, Line: i + 1, What: fmt.Sprintf(format, args...)}
	}
	if !utf8.ValidString(text) {
		for i, l := range f.lines {
			if !utf8.ValidString(l) {
				return nil, fail(i, "it is not UTF-8")
			}
		}
	}
	var (
		cur *iniSection
		// key is the last key line's setting, while indented lines may
		// still continue it.
		key *iniKey
		// keyIndent is the indentation of the key's line.
		keyIndent int
		// blank: a blank line came after the key's last line; configparser
		// keeps it in a continued value, aws-sdk-go-v2 drops it.
		blank bool
		seen  = map[string]bool{}
	)
	for i, line := range f.lines {
		if r := hardRune(line); r != "" {
			return nil, fail(i, "it holds %s", r)
		}
		trimmed := strings.Trim(line, " \t")
		switch {
		case trimmed == "":
			blank = true
			continue
		case trimmed[0] == '#' || trimmed[0] == ';':
			// Whatever follows the sign is the comment's, for both.
			continue
		}
		// Only a key line's value may hold other characters, inside it
		// (setting checks its ends).
		if r := oddRune(line); r != "" && !strings.ContainsAny(line, "=:") {
			return nil, fail(i, "it holds %s", r)
		}
		// configparser continues the key above with a line indented deeper
		// than the key's own line; aws-sdk-go-v2 with any indented line.
		indent := len(line) - len(strings.TrimLeft(line, " \t"))
		if indent > 0 && trimmed[0] == '[' {
			return nil, fail(i, "an indented line starts with '[' (aws-sdk-go-v2 reads a section there, botocore a setting or part of a value)")
		}
		if indent > 0 && key != nil && indent > keyIndent {
			if r := oddRune(line); r != "" {
				return nil, fail(i, "it holds %s", r)
			}
			if key.value == "" {
				k, v, err := nestedSetting(trimmed)
				if err != "" {
					return nil, fail(i, "%s", err)
				}
				key.nested = append(key.nested, [2]string{k, v})
			} else {
				switch {
				case strings.ContainsAny(trimmed, "=:"):
					return nil, fail(i, "an indented line with '=' or ':' continues a value (botocore reads it as part of the value, aws-sdk-go-v2 as a key of its own)")
				case blank:
					return nil, fail(i, "a blank line comes inside a continued value (botocore keeps it, aws-sdk-go-v2 drops it)")
				case strings.TrimRight(line, " \t") != line:
					return nil, fail(i, "a line continuing a value ends in blanks (botocore drops them, aws-sdk-go-v2 keeps them)")
				}
				key.value += "\n" + trimmed
			}
			cur.end = i + 1
			blank = false
			continue
		}
		if indent > 0 && key != nil && key.value == "" {
			return nil, fail(i, "an indented line is no deeper than the empty key above it (botocore reads a key of its own, aws-sdk-go-v2 a nested setting)")
		}
		blank = false
		if trimmed[0] == '[' {
			if r := oddRune(line); r != "" {
				return nil, fail(i, "it holds %s", r)
			}
			h, err := sectionHeader(trimmed)
			if err != "" {
				return nil, fail(i, "%s", err)
			}
			profile, err := sectionProfile(kind, h)
			if err != "" {
				return nil, fail(i, "%s", err)
			}
			if seen[h] {
				return nil, fail(i, "a section is there twice (botocore refuses the file, aws-sdk-go-v2 merges them)")
			}
			seen[h] = true
			if profile != "" && f.profileFor(profile) != nil {
				return nil, fail(i, "a second section names the same profile (the readers would choose different ones)")
			}
			cur = &iniSection{header: h, profile: profile, start: i, end: i + 1}
			f.sections = append(f.sections, cur)
			key = nil
			continue
		}
		if cur == nil {
			return nil, fail(i, "a setting comes before any [section] (botocore refuses the file, aws-sdk-go-v2 drops the setting)")
		}
		k, v, err := setting(line)
		if err != "" {
			return nil, fail(i, "%s", err)
		}
		if _, dup := cur.get(k); dup {
			return nil, fail(i, "a key is set twice in one section (botocore refuses the file, aws-sdk-go-v2 takes the last)")
		}
		cur.keys = append(cur.keys, iniKey{name: k, value: v})
		key, keyIndent = &cur.keys[len(cur.keys)-1], indent
		cur.end = i + 1
	}
	return f, nil
}

// hardRune names a character no line may hold: Python's universal
// newlines end a line at a carriage return, Go's split does not; a byte
// order mark makes the first line none that configparser reads; a NUL
// cannot reach a credential_process's argv.
func hardRune(line string) string {
	switch {
	case strings.Contains(line, "\r"):
		return "a carriage return (Windows line ends)"
	case strings.Contains(line, "\ufeff"):
		return "a byte order mark"
	case strings.Contains(line, "\x00"):
		return "a NUL byte"
	}
	return ""
}

// oddRune names a character that the readers trim differently (Python's
// str.strip against Go's " \t" and unicode.IsSpace), or "" when s has none.
// Inside a value, between other characters, both keep them.
func oddRune(s string) string {
	if r := hardRune(s); r != "" {
		return r
	}
	for _, r := range s {
		switch {
		case r == '\t':
		case unicode.IsControl(r):
			return "a control character"
		case r != ' ' && unicode.IsSpace(r):
			return "a space character other than space and tab"
		}
	}
	return ""
}

// sectionHeader returns the name between the brackets of a line that
// starts with '['. configparser takes the text up to the last ']' on the
// line; aws-sdk-go-v2 cuts the line at the first '#' or ';' and trims
// blanks from the name: so only a name with none of those, and nothing
// but blanks or a comment after the ']', read alike.
func sectionHeader(line string) (string, string) {
	end := strings.IndexByte(line, ']')
	if end < 0 {
		return "", "a line starts with '[' but has no ']'"
	}
	name, rest := line[1:end], strings.TrimLeft(line[end+1:], " \t")
	switch {
	case rest != "" && rest[0] != '#' && rest[0] != ';':
		return "", "text follows a section's ']' (only a comment may)"
	case strings.ContainsAny(rest, "]"):
		return "", "a comment after a section's ']' holds another ']'"
	case name == "":
		return "", "a section has no name"
	case strings.ContainsAny(name, "[#;"):
		return "", "a section name holds '[', '#' or ';'"
	case strings.Trim(name, " \t") != name:
		return "", "a section name starts or ends with a blank"
	case name == "DEFAULT":
		return "", "a [DEFAULT] section (botocore merges its keys into every profile, aws-sdk-go-v2 does not)"
	}
	return name, ""
}

// sectionProfile returns the profile the readers make of section h, "" for
// none. In the config file botocore splits "profile <name>" with shlex,
// aws-sdk-go-v2 at the first run of blanks; in the credentials file both
// take the whole name, but aws-sdk-go-v2 normalises the blanks in it and
// drops a "profile <name>" section.
func sectionProfile(kind fileKind, h string) (string, string) {
	first := strings.IndexAny(h, " \t")
	if kind == credentialsFile {
		switch {
		case first < 0:
			return h, ""
		case h[first] != ' ' || (first+1 < len(h) && (h[first+1] == ' ' || h[first+1] == '\t')):
			return "", "a profile name holds a tab or several blanks in a row (aws-sdk-go-v2 reads one space)"
		case h[:first] == "profile":
			return "", "a credentials file section is named \"profile <name>\" (aws-sdk-go-v2 ignores it, botocore does not)"
		}
		return h, ""
	}
	words := strings.Fields(h)
	switch {
	case h == "default":
		return h, ""
	case strings.EqualFold(h, "default"):
		return "", "a section is named default in other letter case (aws-sdk-go-v2 reads a profile, botocore does not)"
	case strings.HasPrefix(h, "profile"):
		if len(words) != 2 || words[0] != "profile" || strings.ContainsAny(words[1], `'"\`) {
			return "", "a section starting with \"profile\" is not \"profile <name>\" with a plain name (botocore and aws-sdk-go-v2 split it differently)"
		}
		return words[1], ""
	case len(words) > 2 || (len(words) == 2 && strings.ContainsAny(h, `'"\`)):
		return "", "a section name holds more than two words or quotes (botocore and aws-sdk-go-v2 split it differently)"
	}
	return "", ""
}

// oddEnds names an odd character at either end of v, "" when there is
// none.
func oddEnds(v string) string {
	if v == "" {
		return ""
	}
	first, _ := utf8.DecodeRuneInString(v)
	last, _ := utf8.DecodeLastRuneInString(v)
	if r := oddRune(string(first)); r != "" {
		return r
	}
	return oddRune(string(last))
}

// setting reads a key line: the key up to the first '=' or ':', as both
// readers take it, lower-cased, and the value trimmed.
func setting(line string) (string, string, string) {
	sep := strings.IndexAny(line, "=:")
	if sep < 0 {
		return "", "", "a line is neither a section, a setting nor a comment (botocore refuses the file, aws-sdk-go-v2 ignores the line)"
	}
	k, v := strings.Trim(line[:sep], " \t"), strings.Trim(line[sep+1:], " \t")
	if r := oddRune(line[:sep]); r != "" {
		return "", "", "the key holds " + r
	}
	if err := checkKey(k); err != "" {
		return "", "", err
	}
	if r := oddEnds(v); r != "" {
		return "", "", "a value starts or ends with " + r
	}
	if inlineComment(line) {
		return "", "", "a setting holds a blank followed by '#' or ';' (aws-sdk-go-v2 ends the line there, botocore does not)"
	}
	if quoted(v) {
		return "", "", "a value is wrapped in quotes (aws-sdk-go-v2 strips them, botocore keeps them)"
	}
	return strings.ToLower(k), v, ""
}

// nestedSetting reads an indented line under a key with an empty value:
// botocore splits it at the first '=' and keeps the key's case,
// aws-sdk-go-v2 at the first '=' or ':' and lower-cases the key.
func nestedSetting(trimmed string) (string, string, string) {
	eq := strings.IndexByte(trimmed, '=')
	if eq < 0 {
		return "", "", "an indented line under an empty key has no '=' (botocore refuses the file, aws-sdk-go-v2 ignores the line)"
	}
	k, v := strings.Trim(trimmed[:eq], " \t"), strings.Trim(trimmed[eq+1:], " \t")
	switch err := checkKey(k); {
	case err != "":
		return "", "", err
	case strings.ToLower(k) != k:
		return "", "", "a nested key has capital letters (aws-sdk-go-v2 lower-cases it, botocore does not)"
	case quoted(v):
		return "", "", "a nested value is wrapped in quotes (aws-sdk-go-v2 strips them, botocore keeps them)"
	}
	return k, v, ""
}

// checkKey refuses a key the readers would name differently: empty, or
// with letters whose lower case Python and Go disagree on, or with ':'
// (aws-sdk-go-v2 splits a nested line there).
func checkKey(k string) string {
	if k == "" {
		return "a setting has no key"
	}
	for _, r := range k {
		if r > unicode.MaxASCII || r == ':' || r == '[' || r == ']' {
			return "a key holds a character other than ASCII letters, digits and punctuation"
		}
	}
	return ""
}

// inlineComment reports a blank followed by '#' or ';', where
// aws-sdk-go-v2 ends a key line and botocore reads on.
func inlineComment(s string) bool {
	for _, c := range []string{" #", " ;", "\t#", "\t;"} {
		if strings.Contains(s, c) {
			return true
		}
	}
	return false
}

// quoted reports a value aws-sdk-go-v2 would unquote: it starts and ends
// with the same quote (a lone quote too).
func quoted(v string) bool {
	return v != "" && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0]
}

// checkValue refuses a value that the readers would read otherwise than
// written, or that would end the line.
func checkValue(key, v string) error {
	bad := ""
	switch {
	case !utf8.ValidString(v):
		bad = "it is not UTF-8"
	case hardRune(v) != "" || strings.Contains(v, "\n"):
		bad = "it holds a line break, NUL or byte order mark"
	case strings.Trim(v, " \t") != v || oddEnds(v) != "":
		bad = "it starts or ends with a blank, control character or unusual space"
	case inlineComment(v):
		bad = "it holds a blank followed by '#' or ';'"
	case quoted(v):
		bad = "it is wrapped in quotes"
	}
	if bad != "" {
		return fmt.Errorf("the %s value cannot be written to an AWS config file so that every AWS reader reads it back: %s", key, bad)
	}
	return nil
}

// sectionText is a section as this package writes it.
func sectionText(header string, kvs [][2]string) []string {
	lines := []string{"[" + header + "]"}
	for _, kv := range kvs {
		lines = append(lines, kv[0]+" = "+kv[1])
	}
	return lines
}

// withSection returns the file's text with the profile's section set to
// kvs: the section that holds it is replaced where it stands, or a new one
// goes at the end; kvs empty removes it. Every other line is kept as it
// was. It reports whether anything changed.
func (f *iniFile) withSection(profile, header string, kvs [][2]string) (string, bool) {
	lines := f.lines
	old := f.profileFor(profile)
	var repl []string
	if len(kvs) > 0 {
		repl = sectionText(header, kvs)
	}
	switch {
	case old != nil:
		rest := lines[old.end:]
		if repl == nil {
			// Blank lines that followed the section go with it.
			for len(rest) > 0 && strings.Trim(rest[0], " \t") == "" {
				rest = rest[1:]
			}
		}
		lines = append(append(append([]string{}, lines[:old.start]...), repl...), rest...)
	case repl == nil:
		return f.text(), false
	default:
		lines = append([]string{}, lines...)
		if len(lines) > 0 && strings.Trim(lines[len(lines)-1], " \t") != "" {
			lines = append(lines, "")
		}
		lines = append(lines, repl...)
	}
	if len(lines) == 0 {
		return "", true
	}
	return strings.Join(lines, "\n") + "\n", true
}

// text is the file as read.
func (f *iniFile) text() string {
	s := strings.Join(f.lines, "\n")
	if len(f.lines) > 0 && f.endsInNewline {
		s += "\n"
	}
	return s
}
