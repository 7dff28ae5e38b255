package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestDemoRunsEveryScenarioAsExpected(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), nil, &out, &errOut); code != 0 {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	text := out.String()
	for _, want := range []string{
		"AWS_SECRET_ACCESS_KEY=<40 chars, masked in the log>",
		"runs for a pull request",
		`"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:pull_request"`,
		"repo:octo-org/octo-repo:environment:production",
		"All scenarios ended as expected",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
}

func TestDemoRejectsUnknownFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"-nope"}, &out, &errOut); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
}
