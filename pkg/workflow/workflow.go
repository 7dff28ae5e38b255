// Package workflow writes to the GitHub Actions runner safely: the log,
// masks, GITHUB_ENV, GITHUB_OUTPUT and the step summary.
//
// go-githubactions writes file commands with a fixed heredoc delimiter, so a
// value holding a newline and that delimiter could define further variables.
// Every value is checked here first, whatever its source. Text from outside
// (token claims, server messages) is escaped before it reaches the log, so it
// can neither start a workflow command (`::…`) nor forge a line.
package workflow

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode"

	"github.com/sethvargo/go-githubactions"

	"github.com/org/oidc-aws-action/pkg/display"
)

// heredocDelimiter is the fixed delimiter go-githubactions writes around
// every file-command value.
const heredocDelimiter = "_GitHubActionsFileCommandDelimeter_"

// nameRe's length (at most 128) is checked apart: RE2 compiles a counted
// repetition into one state per count, at every start of the binary.
var nameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// errUnsafeValue means a value could break out of its file command.
var errUnsafeValue = errors.New("value contains a line break, a control character or the file-command delimiter")

// CheckValue reports whether v may be written as one file-command value.
func CheckValue(v string) error {
	if strings.Contains(v, heredocDelimiter) {
		return errUnsafeValue
	}
	for _, r := range v {
		if r == '\n' || r == '\r' || (unicode.IsControl(r) && r != '\t') || r == '\u2028' || r == '\u2029' {
			return errUnsafeValue
		}
	}
	return nil
}

// Runner is the action's view of the runner.
type Runner struct {
	a      *githubactions.Action
	out    io.Writer
	getenv func(string) string
	// plain is set outside a runner (GITHUB_ACTIONS is not "true"), where
	// nothing reads workflow commands: annotations and groups are printed
	// as text a person can read instead, every line still neutralized.
	plain bool
}

// New returns a Runner that logs to out and finds the file-command files
// through getenv. Outside a runner, as getenv tells, it logs plain text.
func New(out io.Writer, getenv func(string) string) *Runner {
	return &Runner{
		a:      githubactions.New(githubactions.WithWriter(out), githubactions.WithGetenv(getenv)),
		out:    out,
		getenv: getenv,
		plain:  getenv("GITHUB_ACTIONS") != "true",
	}
}

// Mask asks the runner to hide s in all later log output. Each line is
// masked on its own because the runner matches masks within a line.
// Outside a runner nothing masks, and an ::add-mask:: line would only show
// the secret it names, so none is printed.
func (r *Runner) Mask(s string) {
	if r.plain {
		return
	}
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if strings.TrimSpace(line) != "" {
			r.a.AddMask(line)
		}
	}
}

// SetEnv exports name=value to later steps through GITHUB_ENV.
func (r *Runner) SetEnv(name, value string) error {
	return r.fileCommand("GITHUB_ENV", name, value, r.a.SetEnv)
}

// SaveState passes name=value to this action's post step (as
// STATE_<name>) through GITHUB_STATE.
func (r *Runner) SaveState(name, value string) error {
	return r.fileCommand("GITHUB_STATE", name, value, r.a.SaveState)
}

// SetOutput sets a step output through GITHUB_OUTPUT.
func (r *Runner) SetOutput(name, value string) error {
	return r.fileCommand("GITHUB_OUTPUT", name, value, r.a.SetOutput)
}

func (r *Runner) fileCommand(file, name, value string, set func(k, v string)) (err error) {
	if len(name) > 128 || !nameRe.MatchString(name) {
		return fmt.Errorf("%s: %q is not a valid name", file, name)
	}
	if err := CheckValue(value); err != nil {
		// Never echo the value: it may be a credential.
		return fmt.Errorf("%s for %s: %w", file, name, err)
	}
	if r.getenv(file) == "" {
		return fmt.Errorf("%s for %s: %s is not set, as it is outside a GitHub Actions step", file, name, file)
	}
	defer func() {
		// go-githubactions panics when the file cannot be written.
		if p := recover(); p != nil {
			err = fmt.Errorf("%s for %s: cannot write the file: %v", file, name, p)
		}
	}()
	set(name, value)
	return nil
}

// Summary appends markdown to the step summary, if the runner offers one.
func (r *Runner) Summary(markdown string) (err error) {
	if r.getenv("GITHUB_STEP_SUMMARY") == "" {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the step summary cannot be written: %v", p)
		}
	}()
	r.a.AddStepSummary(markdown)
	return nil
}

// Infof logs a line. Arguments from outside must go through Escape first;
// the format string is ours.
func (r *Runner) Infof(format string, args ...any) {
	r.Lines(fmt.Sprintf(format, args...))
}

// Lines logs text of several lines, such as a report, line by line, each
// neutralized. A lone "\r" ends a line too: the runner reads output with
// .NET's ReadLine, which splits there, so a "\r" left inside a line would
// let what follows it start a command.
func (r *Runner) Lines(text string) {
	text = strings.ReplaceAll(strings.TrimRight(text, "\r\n"), "\r\n", "\n")
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r", "\n"), "\n") {
		fmt.Fprintln(r.out, Neutralize(line))
	}
}

// Errorf logs an error annotation. Each line of the message becomes part of
// one annotation (the command escapes line breaks). Outside a runner it is
// plain text: "Error: " and the message, line by line.
func (r *Runner) Errorf(format string, args ...any) {
	r.annotate("Error", r.a.Errorf, format, args)
}

// Warningf logs a warning annotation, or "Warning: …" outside a runner.
func (r *Runner) Warningf(format string, args ...any) {
	r.annotate("Warning", r.a.Warningf, format, args)
}

func (r *Runner) annotate(label string, command func(string, ...any), format string, args []any) {
	if r.plain {
		r.Lines(label + ": " + fmt.Sprintf(format, args...))
		return
	}
	command(format, args...)
}

// Group starts a collapsed log group; EndGroup closes it. Outside a runner
// the title is a line of its own.
func (r *Runner) Group(title string) {
	if r.plain {
		r.Lines("▸ " + Escape(title))
		return
	}
	r.a.Group(Escape(title))
}

// EndGroup closes the group Group opened.
func (r *Runner) EndGroup() {
	if r.plain {
		return
	}
	r.a.EndGroup()
}

// Escape makes outside text safe inside one log line: line breaks and other
// control characters become visible escapes. The rule lives in display, with
// the other quotes; the name stays here for the callers that write log lines.
func Escape(s string) string { return display.Escape(s) }

// Neutralize keeps a line we print from being read as a workflow command,
// by the rules of actions/runner's ActionCommand: TryParseV2 takes a line
// whose text after TrimStart (.NET's white space, which is Unicode's
// White_Space, as unicode.IsSpace) begins with `::`, and the legacy TryParse
// takes `##[` anywhere in the line. The legacy form becomes `##\u005b`, which
// reads as escaped text in a log and is a JSON escape of the same text inside
// a JSON string, so one function serves text and JSON output alike.
func Neutralize(line string) string {
	line = strings.ReplaceAll(line, "##[", `##\u005b`)
	if strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") {
		return "» " + line
	}
	return line
}

// InertWriter passes what is written to it on to another writer line by
// line, each line through Neutralize, so that a program's whole output can
// be shown by the runner whatever text from outside it holds. Like the
// runner's reader, it ends a line at "\n", "\r" or "\r\n"; line breaks pass
// through as they are. A line is held until it ends, or until Flush.
type InertWriter struct {
	w    io.Writer
	line []byte
}

// NewInertWriter returns an InertWriter writing to w.
func NewInertWriter(w io.Writer) *InertWriter { return &InertWriter{w: w} }

// Write implements io.Writer.
func (iw *InertWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexAny(p, "\r\n")
		if i < 0 {
			iw.line = append(iw.line, p...)
			break
		}
		iw.line = append(iw.line, p[:i]...)
		if err := iw.emit(p[i]); err != nil {
			return 0, err
		}
		p = p[i+1:]
	}
	return n, nil
}

// Flush writes a pending unfinished line.
func (iw *InertWriter) Flush() error {
	if len(iw.line) == 0 {
		return nil
	}
	return iw.emit(0)
}

// emit writes the held line, neutralized, and the break that ended it (none
// for 0).
func (iw *InertWriter) emit(brk byte) error {
	out := []byte(Neutralize(string(iw.line)))
	if brk != 0 {
		out = append(out, brk)
	}
	iw.line = iw.line[:0]
	_, err := iw.w.Write(out)
	return err
}
