package credprocess

import (
	"regexp"
	"strings"
)

// DirVariable names the variable the step exports with the per-job
// directory, where the helper's executable and its cache are. The
// credential_process line finds the executable through it instead of
// naming a path: the runner rewrites paths in each later step's
// environment (a `container:` job sees the runner's work directory at
// /__w), but never inside a file, so a path written into the config file
// would be wrong in a container job.
const DirVariable = "OIDC_AWS_JOB_DIR"

// Executable is the helper's file name in the per-job directory.
const Executable = "oidc-aws"

// commandPrefix runs the helper from DirVariable. The AWS CLI splits the
// line into words as a POSIX shell would and runs them without a shell;
// aws-sdk-go-v2 and most other SDKs hand the whole line to sh -c. An
// explicit sh -c gives both the same expansion. Where the variable was
// dropped, ${…:?} has sh say so instead of running /oidc-aws; the message
// has no '#' or ';', which the INI readers would take for a comment, nor
// '}' or a quote, which would end the expansion.
var commandPrefix = []string{"sh", "-c", `exec "${` + DirVariable + `:?` + noDirMessage + `}/` + Executable + `" ` + Command + ` "$@"`, Executable}

const noDirMessage = "is empty or not set: pass it through to this command, as env -i, sudo or a container may drop it"

// ProfileCommand is the credential_process line that runs the helper with
// args, quoted so that sh and the CLI's splitting both read args back
// unchanged.
func ProfileCommand(args []string) string {
	words := make([]string, 0, len(commandPrefix)+len(args))
	for _, w := range append(append([]string(nil), commandPrefix...), args...) {
		words = append(words, shellQuote(w))
	}
	return strings.Join(words, " ")
}

var bareWord = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote single-quotes w for sh and for the CLI's POSIX splitting
// (botocore's compat_shell_split: shlex.split, no comments). A '#' or ';'
// goes outside the quotes, backslash-escaped, as in 'a '\#'b':
// aws-sdk-go-v2's INI reader ends a value at a blank followed by '#' or ';'
// even inside quotes (config/internal/ini, trimPropertyComment), so neither
// may follow a blank anywhere in the line, and after '\' neither does.
func shellQuote(w string) string {
	if bareWord.MatchString(w) {
		return w
	}
	q := "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	return commentQuoter.Replace(q)
}

var commentQuoter = strings.NewReplacer("#", `'\#'`, ";", `'\;'`)

// ParseProfileCommand returns the helper flags of a credential_process line
// that ProfileCommand wrote, and false for any other line. A role-chaining
// step reads its source profile's flags this way.
func ParseProfileCommand(line string) ([]string, bool) {
	words, ok := splitWords(line)
	if !ok || len(words) < len(commandPrefix) {
		return nil, false
	}
	for i, w := range commandPrefix {
		if words[i] != w {
			return nil, false
		}
	}
	return words[len(commandPrefix):], true
}

// splitWords splits what shellQuote writes: words apart by blanks, each
// made of bare characters, single-quoted runs and backslash escapes.
// Double quotes and other shell syntax are refused rather than guessed at.
func splitWords(line string) ([]string, bool) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, false
			}
			cur.WriteString(line[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '\\':
			if i+1 >= len(line) {
				return nil, false
			}
			i++
			cur.WriteByte(line[i])
			inWord = true
		case strings.IndexByte("\"`$&|;<>()*?[#~!{}\n\r", c) >= 0:
			return nil, false
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, true
}
