// Package runnersim reads what an action leaves behind the way the GitHub
// Actions runner does: the GITHUB_ENV / GITHUB_OUTPUT file-command format,
// and a step's log with its workflow commands (masks, groups, annotations).
//
// The end-to-end tests and the demo use it to see the action's effects as a
// workflow would, rather than trusting our own writer.
package runnersim

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// ParseFileCommands parses a GITHUB_ENV or GITHUB_OUTPUT file. Like the
// runner, it accepts `NAME=VALUE` lines and `NAME<<DELIMITER` heredocs, and
// rejects a heredoc whose delimiter never comes. Later definitions win.
func ParseFileCommands(data []byte) (map[string]string, error) {
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" {
			continue
		}
		eq := strings.Index(line, "=")
		hd := strings.Index(line, "<<")
		switch {
		case eq >= 0 && (hd < 0 || eq < hd):
			name := line[:eq]
			if name == "" {
				return nil, fmt.Errorf("line %d: empty name", lineNo)
			}
			vars[name] = line[eq+1:]
		case hd >= 0:
			name, delim := line[:hd], line[hd+2:]
			if name == "" || delim == "" {
				return nil, fmt.Errorf("line %d: invalid heredoc %q", lineNo, line)
			}
			var val []string
			closed := false
			for sc.Scan() {
				lineNo++
				l := strings.TrimSuffix(sc.Text(), "\r")
				if l == delim {
					closed = true
					break
				}
				val = append(val, l)
			}
			if !closed {
				return nil, fmt.Errorf("line %d: heredoc for %q has no closing %q", lineNo, name, delim)
			}
			vars[name] = strings.Join(val, "\n")
		default:
			return nil, fmt.Errorf("line %d: %q is neither NAME=VALUE nor NAME<<DELIMITER", lineNo, line)
		}
	}
	return vars, sc.Err()
}

// Log is a step's stdout as the runner shows it.
type Log struct {
	// Lines are the visible lines, masks applied, commands removed; group
	// starts are shown as "▸ title".
	Lines []string
	// Masks are the values registered with ::add-mask::.
	Masks []string
	// Errors, Warnings and Notices are the annotations' messages.
	Errors, Warnings, Notices []string
	// Commands counts every workflow command seen, by name.
	Commands map[string]int

	// byLength holds Masks longest first, so that a mask inside another
	// does not leave a tail.
	byLength []string
}

// ParseLog reads a step's stdout. Masks apply to the lines after them, as on
// the runner.
//
// Like the runner, it ends a line at "\n", "\r\n" or a lone "\r"; takes
// `::name::` after leading white space and the legacy `##[name]` anywhere in
// a line; acts only on the commands the runner registers (any other line is
// shown as it is); and ignores commands after `::stop-commands::TOKEN` until
// a `::TOKEN::` line.
func ParseLog(out []byte) *Log {
	l := &Log{Commands: map[string]int{}}
	stopToken := ""
	for _, raw := range splitLines(strings.TrimRight(string(out), "\r\n")) {
		name, msg, ok := parseCommand(raw, stopToken)
		switch {
		case !ok || (stopToken != "" && !strings.EqualFold(name, stopToken)):
			l.Lines = append(l.Lines, l.mask(raw))
			continue
		case stopToken != "":
			// The runner shows the line that resumes command processing.
			stopToken = ""
			l.Commands[name]++
			l.Lines = append(l.Lines, l.mask(raw))
			continue
		}
		name = strings.ToLower(name)
		l.Commands[name]++
		switch name {
		case "add-mask":
			if strings.TrimSpace(msg) != "" {
				l.Masks = append(l.Masks, msg)
				i, _ := slices.BinarySearchFunc(l.byLength, len(msg), func(m string, n int) int { return n - len(m) })
				l.byLength = slices.Insert(l.byLength, i, msg)
			}
		case "stop-commands":
			stopToken = msg
			l.Lines = append(l.Lines, l.mask(raw))
		case "group":
			l.Lines = append(l.Lines, "▸ "+l.mask(msg))
		case "error":
			l.Errors = append(l.Errors, l.mask(msg))
			l.Lines = append(l.Lines, "Error: "+l.mask(msg))
		case "warning":
			l.Warnings = append(l.Warnings, l.mask(msg))
			l.Lines = append(l.Lines, "Warning: "+l.mask(msg))
		case "notice":
			l.Notices = append(l.Notices, l.mask(msg))
			l.Lines = append(l.Lines, "Notice: "+l.mask(msg))
		}
	}
	return l
}

// splitLines splits where .NET's StreamReader.ReadLine does, which is how
// the runner reads a step's output.
func splitLines(s string) []string {
	var lines []string
	for {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			return append(lines, s)
		}
		lines = append(lines, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
}

// Text is the visible log.
func (l *Log) Text() string { return strings.Join(l.Lines, "\n") + "\n" }

func (l *Log) mask(s string) string {
	for _, m := range l.byLength {
		s = strings.ReplaceAll(s, m, "***")
	}
	return s
}

// registered are the commands the runner acts on; a line naming any other
// command is ordinary output.
var registered = map[string]bool{
	"set-env": true, "set-output": true, "save-state": true, "add-mask": true, "add-path": true,
	"add-matcher": true, "remove-matcher": true, "debug": true, "warning": true, "error": true,
	"notice": true, "group": true, "endgroup": true, "echo": true, "stop-commands": true,
}

// parseCommand recognises `::name props::message` at the start of a line
// (leading white space aside, as .NET's TrimStart counts it) and, failing
// that, the legacy `##[name props]message` anywhere in the line. The name
// must be registered, or be the pending stop-commands token.
func parseCommand(line, stopToken string) (name, msg string, ok bool) {
	if v2 := strings.TrimLeftFunc(line, unicode.IsSpace); strings.HasPrefix(v2, "::") {
		rest := v2[2:]
		if end := strings.Index(rest, "::"); end >= 0 {
			name, _, _ = strings.Cut(rest[:end], " ")
			if isCommand(name, stopToken) {
				return name, unescapeData(rest[end+2:]), true
			}
		}
	}
	if i := strings.Index(line, "##["); i >= 0 {
		rest := line[i+3:]
		if end := strings.IndexByte(rest, ']'); end >= 0 {
			name, _, _ = strings.Cut(rest[:end], " ")
			if isCommand(name, stopToken) {
				return name, unescapeLegacy(rest[end+1:]), true
			}
		}
	}
	return "", "", false
}

// isCommand reports whether the runner would act on name. The runner
// matches names ignoring case (a HashSet with OrdinalIgnoreCase).
func isCommand(name, stopToken string) bool {
	return registered[strings.ToLower(name)] || (stopToken != "" && strings.EqualFold(name, stopToken))
}

// unescapeData and unescapeLegacy replace in the runner's order, one escape
// at a time.
func unescapeData(s string) string {
	for _, m := range [][2]string{{"%0D", "\r"}, {"%0A", "\n"}, {"%25", "%"}} {
		s = strings.ReplaceAll(s, m[0], m[1])
	}
	return s
}

func unescapeLegacy(s string) string {
	for _, m := range [][2]string{{"%3B", ";"}, {"%0D", "\r"}, {"%0A", "\n"}, {"%5D", "]"}, {"%25", "%"}} {
		s = strings.ReplaceAll(s, m[0], m[1])
	}
	return s
}
