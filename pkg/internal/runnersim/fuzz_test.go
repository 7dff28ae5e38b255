package runnersim

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
)

var plainName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func FuzzParseFileCommands(f *testing.F) {
	f.Add([]byte("A=1\nB<<EOF\nx\ny\nEOF\n"))
	f.Add([]byte("A<<EOF\nunclosed\n"))
	f.Add([]byte("A=b<<c\r\nD<<E=F\r\nv\r\nE=F\r\n"))
	f.Add([]byte("=x\n<<EOF\n"))
	f.Add([]byte("AWS_SECRET_ACCESS_KEY<<_GitHubActionsFileCommandDelimeter_\nabc/def+ghi=\n_GitHubActionsFileCommandDelimeter_\n"))
	f.Add([]byte("A<<EOF\n\r\nEOF\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		vars, err := ParseFileCommands(data)
		if err != nil {
			return
		}
		for name, value := range vars {
			if name == "" || strings.Contains(name, "\n") {
				t.Fatalf("parsed name %q", name)
			}
			if strings.Contains(value, "\r") || !plainName.MatchString(name) {
				continue
			}
			// Writing the value back as the action does must give it back.
			delim := "EOF_" + strings.Repeat("x", len(value))
			again, err := ParseFileCommands([]byte(name + "<<" + delim + "\n" + value + "\n" + delim + "\n"))
			if err != nil {
				t.Fatalf("re-parsing %q=%q failed: %v", name, value, err)
			}
			if !reflect.DeepEqual(again, map[string]string{name: value}) {
				t.Fatalf("%q=%q re-parsed as %q", name, value, again)
			}
		}
	})
}

func FuzzParseLog(f *testing.F) {
	f.Add([]byte("::add-mask::s\ns\n::error::a%0Ab\n##[warning]w\n::stop-commands::t\n::t::\n"))
	f.Add([]byte("a\rb\r\n\u00a0::group::g\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		l := ParseLog(out)
		for _, m := range l.Masks {
			if strings.TrimSpace(m) == "" {
				t.Fatalf("blank mask %q registered", m)
			}
		}
		for _, line := range l.Lines {
			if strings.ContainsAny(line, "\r\n") && !strings.HasPrefix(line, "Error: ") && !strings.HasPrefix(line, "Warning: ") &&
				!strings.HasPrefix(line, "Notice: ") && !strings.HasPrefix(line, "▸ ") {
				t.Fatalf("plain line %q spans lines", line)
			}
		}
	})
}
