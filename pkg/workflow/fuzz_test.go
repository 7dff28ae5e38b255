package workflow

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"reflect"
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
	f.Add("x\n" + heredocDelimiter + "\nEVIL=1")
	f.Add(heredocDelimiter)
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

// FuzzEscapeNeutralize: no line the runner would read from Lines(x), from
// Infof with an escaped argument, or, outside a runner, from the plain-text
// annotations and group titles, can start a workflow command.
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
		r.Errorf("%s", x)
		r.Warningf("%s", x)
		r.Group(x)
		r.EndGroup()
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

// FuzzInertWriter: whatever is written, in whatever pieces, no line the
// runner reads from the output starts a workflow command; text without
// command look-alikes passes unchanged; and JSON, compact or indented as
// encoding/json writes it, stays JSON with the same value.
func FuzzInertWriter(f *testing.F) {
	f.Add("::set-env name=A::B", "k", uint8(3))
	f.Add("ok\r  ::error::x\r\n##[group]g", "\n::add-mask::k", uint8(1))
	f.Add("a ##[stop-commands]t", "##[error]k", uint8(0))
	f.Add("\u00a0\u2028::group::g", "::", uint8(7))
	f.Fuzz(func(t *testing.T, text, key string, cut uint8) {
		var out bytes.Buffer
		w := NewInertWriter(&out)
		at := min(int(cut), len(text))
		_, _ = io.WriteString(w, text[:at])
		_, _ = io.WriteString(w, text[at:])
		_ = w.Flush()
		got := out.String()
		if l := runnersim.ParseLog(out.Bytes()); len(l.Commands) != 0 {
			t.Fatalf("output %q issues commands %v", got, l.Commands)
		}
		for _, line := range strings.FieldsFunc(got, func(c rune) bool { return c == '\n' || c == '\r' }) {
			if strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") || strings.Contains(line, "##[") {
				t.Fatalf("line %q could start a command", line)
			}
		}
		if !strings.Contains(text, "##[") && !strings.Contains(text, "::") && got != text {
			t.Fatalf("plain text %q came out as %q", text, got)
		}
		v := map[string]any{key: []any{text, map[string]any{text: key}}}
		for _, indent := range []string{"", "  ", "\t"} {
			var b []byte
			if indent == "" {
				b, _ = json.Marshal(v)
			} else {
				b, _ = json.MarshalIndent(v, "", indent)
			}
			var jout bytes.Buffer
			jw := NewInertWriter(&jout)
			_, _ = jw.Write(b)
			_ = jw.Flush()
			var back any
			if err := json.Unmarshal(jout.Bytes(), &back); err != nil {
				t.Fatalf("JSON %s came out as %s, which is not JSON: %v", b, jout.Bytes(), err)
			}
			var want any
			_ = json.Unmarshal(b, &want)
			if !reflect.DeepEqual(back, want) {
				t.Fatalf("JSON %s came out as %s, another value", b, jout.Bytes())
			}
		}
	})
}
