package main

import (
	"bytes"
	"strings"
	"testing"
)

// The generate example needs no files, so it can be run as printed: an
// example that exits 2 is the first thing a reader of --help would try.
func TestUsageGenerateExampleRuns(t *testing.T) {
	text := strings.ReplaceAll(usage, "\\\n", "")
	var line string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, "oidc-aws policy generate") {
			line = strings.TrimSpace(l)
		}
	}
	if line == "" {
		t.Fatal("usage has no generate example")
	}
	args := strings.Fields(strings.TrimPrefix(line, "oidc-aws "))
	var out, errOut bytes.Buffer
	if code := run(args, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("%s exited %d:\n%s", line, code, errOut.String())
	}
	if !strings.Contains(out.String(), "AssumeRoleWithWebIdentity") {
		t.Errorf("%s printed no policy:\n%s", line, out.String())
	}
}

func TestUnknownCommandExits2(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"demo"}, strings.NewReader(""), &out, &errOut); code != 2 {
		t.Fatalf("demo exited %d, want 2: the stand-ins are not in the action's binary", code)
	}
}
