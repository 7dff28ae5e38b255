package workflow

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/org/oidc-aws-action/pkg/internal/runnersim"
)

// FuzzCheckValueSetEnv is the GITHUB_ENV injection property: whatever value
// CheckValue lets through, the runner reads back as exactly one variable
// holding exactly that value.
func FuzzCheckValueSetEnv(f *testing.F) {
	f.Add("ASIAIOSFODNN7EXAMPLE")
	f.Add("")
	f.Add("a\nb")
	f.Add("x\n" + HeredocDelimiter + "\nEVIL=1")
	f.Add(HeredocDelimiter)
	f.Add("a\rb")
	f.Add("a\u2028b")
	f.Add("A=B<<C")
	f.Add("\x00")
	f.Add("\xff\xfe")
	f.Add("_GitHubActionsFileCommandDelimeter")
	// One file per fuzz process, emptied for each input: a fresh directory
	// per input would make the target a file-system benchmark.
	r := newFakeRunner(f)
	f.Fuzz(func(t *testing.T, value string) {
		if CheckValue(value) != nil {
			return
		}
		if err := os.WriteFile(r.path["GITHUB_ENV"], nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := r.SetEnv("AWS_SESSION_TOKEN", value); err != nil {
			t.Fatalf("SetEnv refused a value CheckValue accepted: %v", err)
		}
		vars, err := runnersim.ParseFileCommands(r.file(t, "GITHUB_ENV"))
		if err != nil {
			t.Fatalf("runner could not read GITHUB_ENV: %v", err)
		}
		if len(vars) != 1 {
			t.Fatalf("value %q defined %d variables: %q", value, len(vars), vars)
		}
		if got, ok := vars["AWS_SESSION_TOKEN"]; !ok || got != value {
			t.Fatalf("value %q read back as %q", value, got)
		}
	})
}

// FuzzEscapeNeutralize: no line the runner would read from Lines(x), or from
// Infof with an escaped argument, can start a workflow command.
func FuzzEscapeNeutralize(f *testing.F) {
	f.Add("::set-env name=A::B")
	f.Add("  ::add-mask::x")
	f.Add("ok\r::error::x")
	f.Add("a ##[stop-commands]t")
	f.Add("\u00a0\u2028::group::g")
	f.Add("#\n#[error]x")
	f.Add("")
	f.Fuzz(func(t *testing.T, x string) {
		var log bytes.Buffer
		r := New(&log, func(string) string { return "" })
		r.Lines(x)
		r.Infof("claim: %s", Escape(x))
		out := log.String()
		for _, line := range strings.FieldsFunc(out, func(c rune) bool { return c == '\n' || c == '\r' }) {
			if strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") {
				t.Fatalf("line %q starts a command", line)
			}
			if strings.Contains(line, "##[") {
				t.Fatalf("line %q holds a legacy command", line)
			}
		}
		if l := runnersim.ParseLog([]byte(out)); len(l.Commands) != 0 {
			t.Fatalf("output %q issues commands %v", out, l.Commands)
		}
		if e := Escape(x); strings.ContainsAny(e, "\r\n") {
			t.Fatalf("Escape(%q) = %q holds a line break", x, e)
		}
	})
}
