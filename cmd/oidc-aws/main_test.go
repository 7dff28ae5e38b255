package main

import (
	"bytes"
	"strings"
	"testing"
)

// The generate example needs no files, so it can be run as printed: an
// example that exits 2 is the first thing a reader of --help would try.
func TestUsageGenerateExampleRuns(t *testing.T) {
	text := strings.ReplaceAll(platform.usage(), "\\\n", "")
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

// The Windows build is commands{}; its behaviour is tested here, on the
// platform the tests run on.
func TestPolicyOnlyBuildRefusesTheActionAndTheHelper(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no arguments does not run the action", nil, 2, "cannot run as the GitHub Action"},
		{"credential-process is refused by name", []string{"credential-process", "--role-arn", "x"}, 2, "this build has no credential-process"},
		{"policy works", []string{"policy", "generate", "--repo", "octo/app", "--repository-id", "1", "--branch", "main", "--account", "123456789012"}, 0, ""},
		{"version works", []string{"version"}, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := runWith(commands{}, tc.args, strings.NewReader(""), &out, &errOut)
			if code != tc.wantCode || !strings.Contains(errOut.String(), tc.wantErr) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, errOut.String(), tc.wantCode, tc.wantErr)
			}
		})
	}
}

func TestPolicyOnlyHelpListsOnlyWhatTheBuildHas(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := runWith(commands{}, []string{"--help"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("--help exited %d: %s", code, errOut.String())
	}
	help := out.String()
	for _, absent := range []string{"oidc-aws credential-process", "run as the GitHub Action", "oidc-aws-post"} {
		if strings.Contains(help, absent) {
			t.Errorf("policy-only help offers %q:\n%s", absent, help)
		}
	}
	if !strings.Contains(help, "oidc-aws policy") || !strings.Contains(help, "policy commands only") {
		t.Errorf("policy-only help does not say what the build has:\n%s", help)
	}
	if full := platform.usage(); strings.Contains(full, "policy commands only") || !strings.Contains(full, "oidc-aws credential-process") {
		t.Errorf("the full build's help is not the full help:\n%s", full)
	}
}
