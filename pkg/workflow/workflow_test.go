package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"github.com/org/oidc-aws-action/pkg/internal/runnersim"
)

// fakeRunner is a Runner whose GITHUB_ENV, GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY are fresh files, and whose log is a buffer.
type fakeRunner struct {
	*Runner
	log  *bytes.Buffer
	env  map[string]string
	path map[string]string
}

func newFakeRunner(t testing.TB) *fakeRunner {
	t.Helper()
	dir := t.TempDir()
	f := &fakeRunner{log: &bytes.Buffer{}, env: map[string]string{"GITHUB_ACTIONS": "true"}, path: map[string]string{}}
	for _, name := range []string{"GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} {
		p := filepath.Join(dir, strings.ToLower(name))
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		f.env[name] = p
		f.path[name] = p
	}
	f.Runner = New(f.log, func(k string) string { return f.env[k] })
	return f
}

func (f *fakeRunner) file(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(f.path[name])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fakeRunner) vars(t testing.TB, name string) map[string]string {
	t.Helper()
	vars, err := runnersim.ParseFileCommands(f.file(t, name))
	if err != nil {
		t.Fatalf("the runner could not read %s: %v\n%s", name, err, f.file(t, name))
	}
	return vars
}

// A session token is ~1 KiB of base64: letters, digits, + / =.
var sessionToken = strings.Repeat("IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+abc=", 20)

func TestCheckValue(t *testing.T) {
	accepted := []struct{ name, v string }{
		{"an access key ID", "ASIAIOSFODNN7EXAMPLE"},
		{"a secret access key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
		{"a session token", sessionToken},
		{"an RFC 3339 expiry", "2025-06-01T13:00:00Z"},
		{"an empty value", ""},
		{"a tab", "a\tb"},
		{"non-ASCII text", "région café ✓"},
		{"workflow-command look-alikes", "::set-env name=X::y ##[error]z"},
		{"heredoc look-alikes", "A<<EOF and EOF"},
		{"a partial delimiter", "_GitHubActionsFileCommandDelimeter"},
	}
	for _, tc := range accepted {
		t.Run("accepts "+tc.name, func(t *testing.T) {
			if err := CheckValue(tc.v); err != nil {
				t.Errorf("CheckValue(%q) = %v, want nil", tc.v, err)
			}
		})
	}
	rejected := []struct{ name, v string }{
		{"a line feed", "ASIA\nX=1"},
		{"a trailing line feed", "value\n"},
		{"a carriage return", "value\rX"},
		{"a line separator", "a\u2028b"},
		{"a paragraph separator", "a\u2029b"},
		{"a next-line control", "a\u0085b"},
		{"a NUL", "a\x00b"},
		{"an escape", "\x1b[31mred"},
		{"a DEL", "a\x7fb"},
		{"a vertical tab", "a\vb"},
		{"a form feed", "a\fb"},
		{"the heredoc delimiter", heredocDelimiter},
		{"the heredoc delimiter inside", "x" + heredocDelimiter + "y"},
	}
	for _, tc := range rejected {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			if err := CheckValue(tc.v); !errors.Is(err, errUnsafeValue) {
				t.Errorf("CheckValue(%q) = %v, want errUnsafeValue", tc.v, err)
			}
		})
	}
}

func TestSetEnvAndSetOutputRoundTrip(t *testing.T) {
	values := map[string]string{
		"AWS_ACCESS_KEY_ID":     "ASIAIOSFODNN7EXAMPLE",
		"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_SESSION_TOKEN":     sessionToken,
		"EMPTY":                 "",
		"SPACES":                "  padded  ",
		"TRICKY":                "A=B<<C ::set-output name=x::y",
	}
	for _, file := range []string{"GITHUB_ENV", "GITHUB_OUTPUT"} {
		t.Run("the runner reads back every "+file+" value exactly", func(t *testing.T) {
			f := newFakeRunner(t)
			set := f.SetEnv
			if file == "GITHUB_OUTPUT" {
				set = f.SetOutput
			}
			for k, v := range values {
				if err := set(k, v); err != nil {
					t.Fatalf("setting %s failed: %v", k, err)
				}
			}
			if got := f.vars(t, file); !reflect.DeepEqual(got, values) {
				t.Errorf("runner read %q, want %q", got, values)
			}
			if f.log.Len() != 0 {
				t.Errorf("setting values logged %q", f.log.String())
			}
		})
	}
	t.Run("output names may hold hyphens", func(t *testing.T) {
		f := newFakeRunner(t)
		if err := f.SetOutput("aws-account-id", "123456789012"); err != nil {
			t.Fatal(err)
		}
		if got := f.vars(t, "GITHUB_OUTPUT"); got["aws-account-id"] != "123456789012" {
			t.Errorf("outputs = %q", got)
		}
	})
	t.Run("a later value for the same name wins", func(t *testing.T) {
		f := newFakeRunner(t)
		_ = f.SetEnv("AWS_REGION", "us-east-1")
		_ = f.SetEnv("AWS_REGION", "eu-west-1")
		if got := f.vars(t, "GITHUB_ENV")["AWS_REGION"]; got != "eu-west-1" {
			t.Errorf("AWS_REGION = %q", got)
		}
	})
}

func TestRefusedValuesWriteNothing(t *testing.T) {
	cases := []struct{ name, key, value string }{
		{"a value that would define another variable", "AWS_REGION", "us-east-1\n" + heredocDelimiter + "\nNODE_OPTIONS=--require /tmp/x.js"},
		{"a value holding a newline", "AWS_SESSION_TOKEN", "secret-part-1\nsecret-part-2"},
		{"a value holding a carriage return", "AWS_SESSION_TOKEN", "secret-part-1\rsecret-part-2"},
		{"a value holding a line separator", "AWS_SESSION_TOKEN", "secret-part-1\u2028secret-part-2"},
	}
	for _, tc := range cases {
		for _, file := range []string{"GITHUB_ENV", "GITHUB_OUTPUT"} {
			t.Run(file+" refuses "+tc.name, func(t *testing.T) {
				f := newFakeRunner(t)
				set := f.SetEnv
				if file == "GITHUB_OUTPUT" {
					set = f.SetOutput
				}
				err := set(tc.key, tc.value)
				if !errors.Is(err, errUnsafeValue) {
					t.Fatalf("error = %v, want errUnsafeValue", err)
				}
				if !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), tc.key) {
					t.Errorf("error %q does not name %s and %s", err, file, tc.key)
				}
				if strings.Contains(err.Error(), "secret-part") || strings.Contains(err.Error(), "us-east-1") {
					t.Errorf("error %q shows the value", err)
				}
				if b := f.file(t, file); len(b) != 0 {
					t.Errorf("%s holds %q after a refused value", file, b)
				}
			})
		}
	}
}

func TestInvalidNamesAreRefused(t *testing.T) {
	for _, name := range []string{"", "A=B", "1ABC", "A B", "A\nB", "A<<EOF", "ÄWS", strings.Repeat("A", 129)} {
		t.Run("refuses "+strings.ToValidUTF8(name[:min(len(name), 8)], "?"), func(t *testing.T) {
			f := newFakeRunner(t)
			err := f.SetEnv(name, "value")
			if err == nil || !strings.Contains(err.Error(), "is not a valid name") {
				t.Fatalf("SetEnv(%q) = %v, want a name error", name, err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("error %q holds a raw line break", err)
			}
			if b := f.file(t, "GITHUB_ENV"); len(b) != 0 {
				t.Errorf("GITHUB_ENV holds %q", b)
			}
		})
	}
}

func TestMissingOrBrokenCommandFiles(t *testing.T) {
	t.Run("a missing GITHUB_ENV is a clear error", func(t *testing.T) {
		var log bytes.Buffer
		r := New(&log, func(string) string { return "" })
		err := r.SetEnv("AWS_REGION", "us-east-1")
		if err == nil || !strings.Contains(err.Error(), "GITHUB_ENV is not set") {
			t.Fatalf("error = %v, want one saying GITHUB_ENV is not set", err)
		}
		if err := r.SetOutput("aws-account-id", "1"); err == nil || !strings.Contains(err.Error(), "GITHUB_OUTPUT is not set") {
			t.Errorf("error = %v, want one saying GITHUB_OUTPUT is not set", err)
		}
	})
	t.Run("an unwritable GITHUB_ENV is an error, not a panic", func(t *testing.T) {
		f := newFakeRunner(t)
		f.env["GITHUB_ENV"] = t.TempDir() // a directory cannot be opened for append
		err := f.SetEnv("AWS_REGION", "us-east-1")
		if err == nil || !strings.HasPrefix(err.Error(), "GITHUB_ENV for AWS_REGION: cannot write the file") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("an unwritable step summary is an error, not a panic", func(t *testing.T) {
		f := newFakeRunner(t)
		f.env["GITHUB_STEP_SUMMARY"] = t.TempDir()
		if err := f.Summary("# hi"); err == nil {
			t.Fatal("Summary into a directory succeeded")
		}
	})
}

func TestSummary(t *testing.T) {
	f := newFakeRunner(t)
	if err := f.Summary("## Assumed role\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Summary("| a | b |\n"); err != nil {
		t.Fatal(err)
	}
	got := string(f.file(t, "GITHUB_STEP_SUMMARY"))
	if !strings.Contains(got, "## Assumed role\n") || !strings.Contains(got, "| a | b |") || strings.Index(got, "Assumed") > strings.Index(got, "| a") {
		t.Errorf("summary = %q, want both parts in order", got)
	}
	t.Run("without a summary file nothing happens", func(t *testing.T) {
		var log bytes.Buffer
		r := New(&log, func(string) string { return "" })
		if err := r.Summary("x"); err != nil || log.Len() != 0 {
			t.Errorf("Summary = %v, log %q", err, log.String())
		}
	})
}

func TestMaskRegistersEachLine(t *testing.T) {
	cases := []struct {
		name   string
		secret string
		want   []string
	}{
		{"a one-line secret is one mask", sessionToken, []string{sessionToken}},
		{"each line is its own mask", "line-one\nline-two\r\nline-three\rline-four", []string{"line-one", "line-two", "line-three", "line-four"}},
		{"blank lines are not masks", "\n  \nreal\n\t\n", []string{"real"}},
		{"percent signs survive the command escaping", "50%25off%0A", []string{"50%25off%0A"}},
		{"an empty secret registers nothing", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeRunner(t)
			f.Mask(tc.secret)
			out := f.log.String()
			if got := strings.Count(out, "::add-mask::"); got != len(tc.want) {
				t.Errorf("log has %d add-mask commands, want %d:\n%s", got, len(tc.want), out)
			}
			l := runnersim.ParseLog(f.log.Bytes())
			if !reflect.DeepEqual(l.Masks, tc.want) {
				t.Errorf("runner registered masks %q, want %q", l.Masks, tc.want)
			}
		})
	}
	t.Run("a masked value is hidden in later lines", func(t *testing.T) {
		f := newFakeRunner(t)
		f.Mask("ASIAIOSFODNN7EXAMPLE")
		f.Infof("key id %s", "ASIAIOSFODNN7EXAMPLE")
		if got := runnersim.ParseLog(f.log.Bytes()).Lines; !reflect.DeepEqual(got, []string{"key id ***"}) {
			t.Errorf("visible lines = %q", got)
		}
	})
}

// hostile are texts from outside (claims, server messages) that try to
// issue workflow commands when printed.
var hostile = []struct{ name, text string }{
	{"a set-env command", "::set-env name=NODE_OPTIONS::--require=/tmp/x"},
	{"an add-mask command", "::add-mask::nothing"},
	{"leading spaces then ::", "    ::error::forged"},
	{"a leading tab then ::", "\t::warning::forged"},
	{"a leading no-break space then ::", "\u00a0::notice::forged"},
	{"a leading ideographic space then ::", "\u3000::group::forged"},
	{"a leading line separator then ::", "\u2028::add-mask::x"},
	{"the legacy form at the start", "##[error]forged"},
	{"the legacy form inside a line", "subject repo:o/r ##[stop-commands]tok"},
	{"the legacy form after leading space", "  ##[add-mask]x"},
	{"a command after a newline", "fine\n::add-mask::x"},
	{"a command after a carriage return", "fine\r::error::forged"},
	{"a command after CRLF", "fine\r\n::endgroup::"},
	{"a stop-commands token", "::stop-commands::pwned"},
}

// assertNoCommands checks, the way the runner reads output, that out issues
// no workflow command.
func assertNoCommands(t *testing.T, out []byte) {
	t.Helper()
	l := runnersim.ParseLog(out)
	if len(l.Commands) != 0 {
		t.Errorf("output %q issues commands %v", out, l.Commands)
	}
	for _, line := range strings.FieldsFunc(string(out), func(r rune) bool { return r == '\n' || r == '\r' }) {
		if strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") || strings.Contains(line, "##[") {
			t.Errorf("output line %q could start a command", line)
		}
	}
}

func TestLinesNeutralizeCommands(t *testing.T) {
	for _, tc := range hostile {
		t.Run("Lines neutralizes "+tc.name, func(t *testing.T) {
			f := newFakeRunner(t)
			f.Lines(tc.text)
			assertNoCommands(t, f.log.Bytes())
		})
		t.Run("Infof neutralizes "+tc.name+" in an unescaped argument", func(t *testing.T) {
			f := newFakeRunner(t)
			f.Infof("%s", tc.text)
			assertNoCommands(t, f.log.Bytes())
		})
	}
	t.Run("ordinary lines are printed unchanged", func(t *testing.T) {
		f := newFakeRunner(t)
		f.Lines("Assuming arn:aws:iam::123456789012:role/deploy\n  indented: a::b\n\nend\n")
		want := "Assuming arn:aws:iam::123456789012:role/deploy\n  indented: a::b\n\nend\n"
		if got := f.log.String(); got != want {
			t.Errorf("log = %q, want %q", got, want)
		}
	})
	t.Run("CRLF text prints as the same lines as LF text", func(t *testing.T) {
		a, b := newFakeRunner(t), newFakeRunner(t)
		a.Lines("one\r\ntwo\r\n")
		b.Lines("one\ntwo\n")
		if a.log.String() != b.log.String() || a.log.String() != "one\ntwo\n" {
			t.Errorf("CRLF log %q, LF log %q", a.log.String(), b.log.String())
		}
	})
}

func TestNeutralize(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{"::error::x", "» ::error::x"},
		{"   ::error::x", "»    ::error::x"},
		{"a::b", "a::b"},
		{"##[error]x", `##\u005berror]x`},
		{"text ##[add-mask]x ##[error]y", `text ##\u005badd-mask]x ##\u005berror]y`},
		{"###[x", `###\u005bx`},
		{"# [x] ##", "# [x] ##"},
	}
	for _, tc := range cases {
		t.Run(tc.in+" becomes "+tc.want, func(t *testing.T) {
			if got := Neutralize(tc.in); got != tc.want {
				t.Errorf("Neutralize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestEscape(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"keeps plain text", "repo:octo-org/octo-repo:ref:refs/heads/main", "repo:octo-org/octo-repo:ref:refs/heads/main"},
		{"keeps non-ASCII text", "café ✓", "café ✓"},
		{"shows a newline", "a\nb", `a\nb`},
		{"shows a carriage return", "a\rb", `a\rb`},
		{"shows a tab", "a\tb", `a\tb`},
		{"shows NUL", "a\x00b", `a\u0000b`},
		{"shows an escape", "\x1b[31m", `\u001b[31m`},
		{"shows DEL", "\x7f", `\u007f`},
		{"shows a next-line control", "\u0085", `\u0085`},
		{"shows a line separator", "\u2028", `\u2028`},
		{"shows a paragraph separator", "\u2029", `\u2029`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Escape(tc.in); got != tc.want {
				t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestAnnotationsCarryHostileTextIntact(t *testing.T) {
	msg := "STS said: bad\n::add-mask::x\r\n##[stop-commands]t 100%"
	for _, kind := range []string{"error", "warning"} {
		t.Run("one "+kind+" annotation holds the whole message", func(t *testing.T) {
			f := newFakeRunner(t)
			switch kind {
			case "error":
				f.Errorf("%s", msg)
			case "warning":
				f.Warningf("%s", msg)
			}
			l := runnersim.ParseLog(f.log.Bytes())
			var got []string
			switch kind {
			case "error":
				got = l.Errors
			case "warning":
				got = l.Warnings
			}
			if !reflect.DeepEqual(got, []string{msg}) {
				t.Errorf("annotations = %q, want [%q]", got, msg)
			}
			if len(l.Commands) != 1 || len(l.Masks) != 0 {
				t.Errorf("commands = %v, masks = %q; want only the one annotation", l.Commands, l.Masks)
			}
		})
	}
}

// TestOutsideARunnerAnnotationsArePlainText: run by hand, GITHUB_ACTIONS is
// not "true" and the log is read by a person: no "::" commands, no %0A, and
// still nothing that could start a command if a runner did read it.
func TestOutsideARunnerAnnotationsArePlainText(t *testing.T) {
	for _, v := range []string{"", "false"} {
		t.Run("GITHUB_ACTIONS="+v, func(t *testing.T) {
			var log bytes.Buffer
			r := New(&log, func(k string) string {
				if k == "GITHUB_ACTIONS" {
					return v
				}
				return ""
			})
			r.Mask("s3cr3t-value")
			r.Group("Why\n::add-mask::x")
			r.Infof("inside")
			r.EndGroup()
			r.Warningf("%s", "input \"x\" is ignored; 100%")
			r.Errorf("%s", "validation failed: 2 inputs are invalid:\n  - input \"a\": bad\n::set-env name=A::B\r##[error]x\nFix: do this")
			want := "▸ Why\\n::add-mask::x\n" +
				"inside\n" +
				"Warning: input \"x\" is ignored; 100%\n" +
				"Error: validation failed: 2 inputs are invalid:\n" +
				"  - input \"a\": bad\n" +
				"» ::set-env name=A::B\n" +
				"##\\u005berror]x\n" +
				"Fix: do this\n"
			if got := log.String(); got != want {
				t.Errorf("log =\n%s\nwant\n%s", got, want)
			}
			if l := runnersim.ParseLog(log.Bytes()); len(l.Commands) != 0 {
				t.Errorf("plain output issues commands %v", l.Commands)
			}
			if strings.Contains(log.String(), "s3cr3t-value") {
				t.Error("a mask printed the secret it names")
			}
		})
	}
	t.Run("GITHUB_ACTIONS=true keeps the workflow commands", func(t *testing.T) {
		f := newFakeRunner(t)
		f.Mask("s3cr3t-value")
		f.Errorf("%s", "a\nb")
		l := runnersim.ParseLog(f.log.Bytes())
		if !reflect.DeepEqual(l.Errors, []string{"a\nb"}) || !reflect.DeepEqual(l.Masks, []string{"s3cr3t-value"}) {
			t.Errorf("errors %q, masks %q", l.Errors, l.Masks)
		}
		if !strings.Contains(f.log.String(), "::error::a%0Ab") {
			t.Errorf("log %q lacks the encoded annotation", f.log.String())
		}
	})
}

func TestGroupEscapesItsTitle(t *testing.T) {
	f := newFakeRunner(t)
	f.Group("Claims of\n::add-mask::x")
	f.Infof("inside")
	f.EndGroup()
	l := runnersim.ParseLog(f.log.Bytes())
	if want := []string{`▸ Claims of\n::add-mask::x`, "inside"}; !reflect.DeepEqual(l.Lines, want) {
		t.Errorf("Lines = %q, want %q", l.Lines, want)
	}
	if l.Commands["group"] != 1 || l.Commands["endgroup"] != 1 || len(l.Masks) != 0 {
		t.Errorf("commands = %v, masks = %q", l.Commands, l.Masks)
	}
}

func TestInertWriterNeutralizesEveryLine(t *testing.T) {
	for _, tc := range hostile {
		t.Run("one write of "+tc.name, func(t *testing.T) {
			var out bytes.Buffer
			w := NewInertWriter(&out)
			if _, err := io.WriteString(w, tc.text+"\n"); err != nil {
				t.Fatal(err)
			}
			assertNoCommands(t, out.Bytes())
		})
		t.Run("byte-at-a-time writes of "+tc.name+" without a final newline", func(t *testing.T) {
			var out bytes.Buffer
			w := NewInertWriter(&out)
			for i := range len(tc.text) {
				if _, err := w.Write([]byte{tc.text[i]}); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			assertNoCommands(t, out.Bytes())
		})
	}
	t.Run("ordinary text passes unchanged, line breaks included", func(t *testing.T) {
		in := "a::b\r\n  indented\rlast ## [x]\n\nno newline at the end"
		var out bytes.Buffer
		w := NewInertWriter(&out)
		_, _ = io.WriteString(w, in[:7])
		_, _ = io.WriteString(w, in[7:])
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if out.String() != in {
			t.Errorf("got %q, want %q", out.String(), in)
		}
	})
	t.Run("pretty JSON keeps its value", func(t *testing.T) {
		v := map[string]any{"\n::error::key": []any{"::add-mask::x", "a ##[error]b", "\r##[set-output name=x]y"}}
		b, _ := json.MarshalIndent(v, "", "  ")
		var out bytes.Buffer
		w := NewInertWriter(&out)
		_, _ = w.Write(b)
		_ = w.Flush()
		assertNoCommands(t, out.Bytes())
		var got any
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, out.Bytes())
		}
		if !reflect.DeepEqual(got, v) {
			t.Errorf("decoded %q, want %q", got, v)
		}
	})
	t.Run("a write error is returned", func(t *testing.T) {
		w := NewInertWriter(failWriter{})
		if _, err := io.WriteString(w, "x\n"); err == nil {
			t.Error("no error")
		}
	})
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
