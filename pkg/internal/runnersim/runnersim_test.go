package runnersim

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseFileCommands(t *testing.T) {
	cases := []struct {
		name string
		file string
		want map[string]string
	}{
		{"reads NAME=VALUE lines", "A=1\nB=two words\n", map[string]string{"A": "1", "B": "two words"}},
		{"keeps = inside the value", "A=b=c==\n", map[string]string{"A": "b=c=="}},
		{"keeps an empty value", "A=\n", map[string]string{"A": ""}},
		{"reads a heredoc", "A<<EOF\nline one\nline two\nEOF\n", map[string]string{"A": "line one\nline two"}},
		{"reads an empty heredoc value", "A<<EOF\n\nEOF\n", map[string]string{"A": ""}},
		{"reads a heredoc without a value line as empty", "A<<EOF\nEOF\n", map[string]string{"A": ""}},
		{"reads the delimiter go-githubactions writes", "AWS_REGION<<_GitHubActionsFileCommandDelimeter_\nus-east-1\n_GitHubActionsFileCommandDelimeter_\n",
			map[string]string{"AWS_REGION": "us-east-1"}},
		{"takes = before << as NAME=VALUE", "A=b<<c\n", map[string]string{"A": "b<<c"}},
		{"takes << before = as a heredoc", "A<<E=F\nv\nE=F\n", map[string]string{"A": "v"}},
		{"lets a later definition win", "A=1\nB<<X\nb\nX\nA<<X\nfinal\nX\n", map[string]string{"A": "final", "B": "b"}},
		{"skips blank lines", "\n\nA=1\n\n\nB=2", map[string]string{"A": "1", "B": "2"}},
		{"reads CRLF files", "A=1\r\nB<<EOF\r\nx\r\ny\r\nEOF\r\n", map[string]string{"A": "1", "B": "x\ny"}},
		{"keeps a line that only looks like a delimiter", "A<<EOF\n EOF\nEOF \nEOF\n", map[string]string{"A": " EOF\nEOF "}},
		{"reads an empty file", "", map[string]string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseFileCommands([]byte(tc.file))
			if err != nil {
				t.Fatalf("ParseFileCommands failed: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseFileCommandsRejectsBrokenFiles(t *testing.T) {
	cases := []struct {
		name, file, want string
	}{
		{"an unclosed heredoc", "A<<EOF\nvalue\n", `no closing "EOF"`},
		{"a heredoc closed by a different delimiter", "A<<EOF\nvalue\nEND\n", `no closing "EOF"`},
		{"a heredoc without delimiter", "A<<\nvalue\n", "invalid heredoc"},
		{"a heredoc without name", "<<EOF\nvalue\nEOF\n", "invalid heredoc"},
		{"an empty name", "=value\n", "empty name"},
		{"a line that is no command", "A=1\njust text\n", `line 2: "just text" is neither`},
	}
	for _, tc := range cases {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			got, err := ParseFileCommands([]byte(tc.file))
			if err == nil {
				t.Fatalf("ParseFileCommands = %q, want an error", got)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestParseLogMasks(t *testing.T) {
	out := "secret before\n" +
		"::add-mask::secret\n" +
		"secret after\n" +
		"::add-mask::secret-longer\n" +
		"a secret-longer value\n" +
		"::add-mask::   \n" +
		"spaces   stay\n"
	l := ParseLog([]byte(out))
	want := []string{"secret before", "*** after", "a *** value", "spaces   stay"}
	if !reflect.DeepEqual(l.Lines, want) {
		t.Errorf("Lines = %q, want %q", l.Lines, want)
	}
	if !reflect.DeepEqual(l.Masks, []string{"secret", "secret-longer"}) {
		t.Errorf("Masks = %q, want the two non-blank masks", l.Masks)
	}
	if l.Commands["add-mask"] != 3 {
		t.Errorf("Commands[add-mask] = %d, want 3", l.Commands["add-mask"])
	}
}

func TestParseLogAnnotationsAndGroups(t *testing.T) {
	out := "::group::Assume role\n" +
		"inside\n" +
		"::endgroup::\n" +
		"::error file=a.go,line=3::failed%0Ato assume: 100%25 sure\n" +
		"::warning::careful\n" +
		"::notice title=t::note\n" +
		"::debug::hidden\n"
	l := ParseLog([]byte(out))
	if want := []string{"▸ Assume role", "inside", "Error: failed\nto assume: 100% sure", "Warning: careful", "Notice: note"}; !reflect.DeepEqual(l.Lines, want) {
		t.Errorf("Lines = %q, want %q", l.Lines, want)
	}
	if want := []string{"failed\nto assume: 100% sure"}; !reflect.DeepEqual(l.Errors, want) {
		t.Errorf("Errors = %q, want %q", l.Errors, want)
	}
	if !reflect.DeepEqual(l.Warnings, []string{"careful"}) || !reflect.DeepEqual(l.Notices, []string{"note"}) {
		t.Errorf("Warnings = %q, Notices = %q", l.Warnings, l.Notices)
	}
	for name, n := range map[string]int{"group": 1, "endgroup": 1, "error": 1, "warning": 1, "notice": 1, "debug": 1} {
		if l.Commands[name] != n {
			t.Errorf("Commands[%s] = %d, want %d", name, l.Commands[name], n)
		}
	}
	if got := l.Text(); !strings.HasPrefix(got, "▸ Assume role\ninside\n") || !strings.HasSuffix(got, "Notice: note\n") {
		t.Errorf("Text() = %q", got)
	}
}

func TestParseLogUnescapesInOrder(t *testing.T) {
	cases := []struct{ name, data, want string }{
		{"a line feed", "a%0Ab", "a\nb"},
		{"a carriage return", "a%0Db", "a\rb"},
		{"a percent", "100%25", "100%"},
		{"an escaped escape stays literal", "%250A", "%0A"},
		{"a lone percent", "50% off", "50% off"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := ParseLog([]byte("::warning::" + tc.data + "\n"))
			if len(l.Warnings) != 1 || l.Warnings[0] != tc.want {
				t.Errorf("Warnings = %q, want [%q]", l.Warnings, tc.want)
			}
		})
	}
}

func TestParseLogReadsCommandsWhereTheRunnerDoes(t *testing.T) {
	cases := []struct {
		name      string
		out       string
		wantMasks []string
		wantLines []string
	}{
		{"after leading spaces", "   ::add-mask::m1\n", []string{"m1"}, nil},
		{"after a tab", "\t::add-mask::m1\n", []string{"m1"}, nil},
		{"after a no-break space", "\u00a0::add-mask::m1\n", []string{"m1"}, nil},
		{"after an ideographic space", "\u3000::add-mask::m1\n", []string{"m1"}, nil},
		{"after a lone carriage return", "text\r::add-mask::m1\n", []string{"m1"}, []string{"text"}},
		{"after a CRLF", "text\r\n::add-mask::m1\r\n", []string{"m1"}, []string{"text"}},
		{"the legacy form at the start", "##[add-mask]m1\n", []string{"m1"}, nil},
		{"the legacy form inside a line", "subject: x ##[add-mask]m1\n", []string{"m1"}, nil},
		{"not inside a line for ::", "text ::add-mask::m1\n", nil, []string{"text ::add-mask::m1"}},
		{"not for an unregistered command", "::not-a-command::x\n", nil, []string{"::not-a-command::x"}},
		{"not without the closing ::", "::add-mask m1\n", nil, []string{"::add-mask m1"}},
		{"not for the legacy form without ]", "##[add-mask m1\n", nil, []string{"##[add-mask m1"}},
		{"in the legacy form after an unregistered ::", "::nope::x ##[add-mask]m1\n", []string{"m1"}, nil},
		{"whatever the case of its name", "::ADD-Mask::m1\n##[Add-MASK]m2\n", []string{"m1", "m2"}, nil},
	}
	for _, tc := range cases {
		t.Run("reads a command "+tc.name, func(t *testing.T) {
			l := ParseLog([]byte(tc.out))
			if !reflect.DeepEqual(l.Masks, tc.wantMasks) {
				t.Errorf("Masks = %q, want %q", l.Masks, tc.wantMasks)
			}
			if !reflect.DeepEqual(l.Lines, tc.wantLines) {
				t.Errorf("Lines = %q, want %q", l.Lines, tc.wantLines)
			}
		})
	}
}

func TestParseLogLegacyUnescape(t *testing.T) {
	l := ParseLog([]byte("##[error]a%3Bb%5Dc%0Ad%25\n"))
	if want := []string{"a;b]c\nd%"}; !reflect.DeepEqual(l.Errors, want) {
		t.Errorf("Errors = %q, want %q", l.Errors, want)
	}
}

func TestParseLogStopCommands(t *testing.T) {
	out := "::stop-commands::tok123\n" +
		"::add-mask::ignored\n" +
		"::error::not an annotation\n" +
		"ignored stays visible\n" +
		"::tok123::\n" +
		"::add-mask::later\n" +
		"a later value\n"
	l := ParseLog([]byte(out))
	if !reflect.DeepEqual(l.Masks, []string{"later"}) {
		t.Errorf("Masks = %q, want only the mask after resuming", l.Masks)
	}
	if len(l.Errors) != 0 {
		t.Errorf("Errors = %q, want none while commands are stopped", l.Errors)
	}
	want := []string{"::stop-commands::tok123", "::add-mask::ignored", "::error::not an annotation", "ignored stays visible", "::tok123::", "a *** value"}
	if !reflect.DeepEqual(l.Lines, want) {
		t.Errorf("Lines = %q, want %q", l.Lines, want)
	}
	if l.Commands["stop-commands"] != 1 || l.Commands["tok123"] != 1 || l.Commands["add-mask"] != 1 {
		t.Errorf("Commands = %v", l.Commands)
	}
}

func TestParseLogOfNothing(t *testing.T) {
	l := ParseLog(nil)
	if !reflect.DeepEqual(l.Lines, []string{""}) || len(l.Commands) != 0 {
		t.Errorf("ParseLog(nil) = %+v", l)
	}
}

func TestAMaskInsideAnotherLeavesNoTail(t *testing.T) {
	// Registered short first: masking in arrival order would turn
	// "secret-long" into "***-long".
	l := ParseLog([]byte("::add-mask::secret\n::add-mask::secret-long\nkey=secret-long and secret\n"))
	if got, want := l.Lines, []string{"key=*** and ***"}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("Lines = %q, want %q", got, want)
	}
}
