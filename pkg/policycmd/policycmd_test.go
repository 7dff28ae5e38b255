package policycmd

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from current output")

func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("missing golden file (run with -update): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from golden file (rerun with -update if intended)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// writeToken builds a JWT around a claims file, valid from now for ten
// minutes. The signature is junk: explain decodes without verifying, which
// is what it must say.
func writeToken(t *testing.T, claimsFile string) string {
	t.Helper()
	now := time.Now().Unix()
	return writeTokenTimes(t, claimsFile, now-60, now+600)
}

// writeTokenTimes is writeToken with the token's iat/nbf and exp.
func writeTokenTimes(t *testing.T, claimsFile string, issued, expires int64) string {
	t.Helper()
	payload, err := os.ReadFile(claimsFile)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	m["iat"], m["nbf"], m["exp"] = issued, issued, expires
	var compact bytes.Buffer
	if err := json.NewEncoder(&compact).Encode(m); err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	tok := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT","kid":"test"}`)) + "." + enc.EncodeToString(bytes.TrimSpace(compact.Bytes())) + "." + enc.EncodeToString([]byte("not-a-signature"))
	path := filepath.Join(t.TempDir(), "token.jwt")
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunExitCodes(t *testing.T) {
	policy, _ := os.ReadFile("testdata/main-only.json")
	tests := []struct {
		name       string
		args       []string
		stdin      string
		code       int
		stdout     string // substring
		stderrPref string // prefix of stderr
	}{
		{"no arguments prints usage and fails", nil, "", 2, "", "Usage: oidc-aws policy"},
		{"help succeeds", []string{"help"}, "", 0, "Commands:", ""},
		{"--help succeeds", []string{"--help"}, "", 0, "Commands:", ""},
		{"help for a command", []string{"help", "lint"}, "", 0, "Usage: oidc-aws policy lint", ""},
		{"help for an unknown command", []string{"help", "nope"}, "", 2, "", `policy: no help for "nope"`},
		{"an unknown command", []string{"frobnicate"}, "", 2, "", `policy: unknown command "frobnicate"`},
		{"explain -h", []string{"explain", "-h"}, "", 0, "Usage: oidc-aws policy explain", ""},
		{"explain allowed", []string{"explain", "--policy", "testdata/main-only.json", "--claims", "testdata/claims_main.json"}, "", 0, "decision: allowed", ""},
		{"explain denied", []string{"explain", "--policy", "testdata/main-only.json", "--claims", "testdata/claims_pull_request.json"}, "", 1, "decision: denied: no statement allows", ""},
		{"explain reads the policy from stdin", []string{"explain", "--policy", "-", "--claims", "testdata/claims_main.json"}, string(policy), 0, "decision: allowed", ""},
		{"explain without --policy", []string{"explain", "--claims", "x"}, "", 2, "", "explain: missing --policy FILE"},
		{"explain without claims", []string{"explain", "--policy", "testdata/main-only.json"}, "", 2, "", "explain: missing --claims FILE or --token FILE"},
		{"explain with both claims and token", []string{"explain", "--policy", "p", "--claims", "c", "--token", "t"}, "", 2, "", "explain: --claims and --token both given"},
		{"explain with an unknown flag", []string{"explain", "--polcy", "x"}, "", 2, "", "explain: flag provided but not defined: -polcy"},
		{"explain with a missing file", []string{"explain", "--policy", "testdata/nope.json", "--claims", "testdata/claims_main.json"}, "", 2, "", "explain: --policy testdata/nope.json: no such file or directory\n"},
		{"explain with a non-policy file", []string{"explain", "--policy", "testdata/claims_main.json", "--claims", "testdata/claims_main.json"}, "", 2, "", "explain: --policy testdata/claims_main.json: unrecognised JSON"},
		{"explain with claims that are not an object", []string{"explain", "--policy", "testdata/main-only.json", "--claims", "-"}, "[1]", 2, "", `explain: --claims -: want a JSON object of claims`},
		{"explain with claims lacking iss and --issuer", []string{"explain", "--policy", "testdata/main-only.json", "--claims", "-", "--issuer", "token.actions.githubusercontent.com"}, `{"sub":"repo:octo-org/octo-repo:ref:refs/heads/main","aud":"sts.amazonaws.com"}`, 0, "decision: allowed", ""},
		{"explain with --issuer unlike the claims' iss", []string{"explain", "--policy", "testdata/main-only.json", "--claims", "testdata/claims_main.json", "--issuer", "https://ghes.example.com/_services/token"}, "", 2, "", `explain: --issuer "https://ghes.example.com/_services/token" differs from the claims' iss`},
		{"explain checks sts:RoleSessionName against --session-name", []string{"explain", "--policy", "testdata/session-name.json", "--claims", "testdata/claims_main.json", "--session-name", "gh-583231"}, "", 0, "decision: allowed", ""},
		{"explain without --session-name cannot see sts:RoleSessionName", []string{"explain", "--policy", "testdata/session-name.json", "--claims", "testdata/claims_main.json"}, "", 1, "explain --session-name NAME", ""},
		{"explain names the key IAM has instead of a claim", []string{"explain", "--policy", "testdata/keyless-claim.json", "--claims", "testdata/claims_main.json"}, "", 1, `IAM has no condition key "token.actions.githubusercontent.com:repository_owner"; this condition never sees the claim`, ""},
		{"explain with claims lacking iss", []string{"explain", "--policy", "testdata/main-only.json", "--claims", "-"}, `{"sub":"x"}`, 2, "", `explain: the claims have no "iss"`},
		{"explain with stdin used twice", []string{"explain", "--policy", "-", "--claims", "-"}, string(policy), 2, "", `explain: --claims -: stdin ("-") can be read only once`},
		{"explain a plan allows if any role allows", []string{"explain", "--policy", "testdata/terraform-plan.json", "--claims", "testdata/claims_main.json"}, "", 0, "summary: 4 of 4 policies allow this token", ""},
		{"explain a plan with --role picks one", []string{"explain", "--policy", "testdata/terraform-plan.json", "--role", "module.ci.aws_iam_role.this[0]", "--claims", "testdata/claims_pull_request.json"}, "", 0, "decision: allowed", ""},
		{"explain a plan with an unknown --role", []string{"explain", "--policy", "testdata/terraform-plan.json", "--role", "aws_iam_role.nope", "--claims", "testdata/claims_main.json"}, "", 2, "", `explain: --role "aws_iam_role.nope" names no policy`},
		{"explain another action", []string{"explain", "--policy", "testdata/main-only.json", "--claims", "testdata/claims_main.json", "--action", "sts:TagSession"}, "", 1, `action "sts:TagSession" matches none of Action`, ""},
		{"lint a clean policy", []string{"lint", "testdata/good.json"}, "", 0, "no findings in 1 file", ""},
		{"lint fails on warnings by default", []string{"lint", "testdata/deny-pull-requests.json"}, "", 1, "warning OIDC004", ""},
		{"lint --fail-on error passes warnings", []string{"lint", "--fail-on", "error", "testdata/deny-pull-requests.json"}, "", 0, "warning OIDC004", ""},
		{"lint --fail-on info fails on an info", []string{"lint", "--fail-on", "info", "testdata/main-only.json"}, "", 1, "info OIDC010", ""},
		{"lint --fail-on none reports but passes", []string{"lint", "--fail-on", "none", "testdata/stringequals-wildcard.json"}, "", 0, "error OIDC005", ""},
		{"lint with a bad --fail-on", []string{"lint", "--fail-on", "fatal", "testdata/good.json"}, "", 2, "", `lint: invalid --fail-on "fatal": want error, warning, info or none`},
		{"lint --ignore drops a reviewed rule", []string{"lint", "--ignore", "OIDC004", "--ignore", "OIDC010", "testdata/deny-pull-requests.json"}, "", 0, "no findings in 1 file", ""},
		{"lint --ignore keeps the other rules", []string{"lint", "--ignore", "OIDC010", "testdata/stringequals-wildcard.json"}, "", 1, "error OIDC005", ""},
		{"lint with an unknown --ignore", []string{"lint", "--ignore", "OIDC999", "testdata/good.json"}, "", 2, "", `lint: invalid --ignore "OIDC999": no such rule`},
		{"lint an org-wide subject is an error", []string{"lint", "--fail-on", "error", "testdata/org-wide.json"}, "", 1, "error OIDC003", ""},
		{"lint errors exit 1", []string{"lint", "testdata/stringequals-wildcard.json"}, "", 1, "error OIDC005", ""},
		{"lint accepts flags after files", []string{"lint", "testdata/good.json", "--format", "json"}, "", 0, `"findings": []`, ""},
		{"lint reads stdin", []string{"lint", "-"}, string(policy), 0, "info OIDC010 -:", ""},
		{"lint without files", []string{"lint"}, "", 2, "", "lint: missing FILE"},
		{"lint with a bad format", []string{"lint", "--format", "xml", "testdata/good.json"}, "", 2, "", `lint: invalid --format "xml"`},
		{"lint with an unreadable file still reports the others", []string{"lint", "testdata/nope.json", "testdata/stringequals-wildcard.json"}, "", 2, "error OIDC005", "lint: testdata/nope.json: no such file or directory\n"},
		{"lint counts only the files it checked", []string{"lint", "testdata/nope.json", "testdata/good.json"}, "", 2, "no findings in 1 file; 1 file could not be checked\n", "lint: testdata/nope.json: no such file or directory\n"},
		{"lint names a file it cannot parse", []string{"lint", "testdata/claims_main.json"}, "", 2, "no findings in 0 files; 1 file could not be checked\n", "lint: testdata/claims_main.json: unrecognised JSON"},
		{"generate json", []string{"generate", "--repo", "octo-org/octo-repo", "--repository-id", "2000002", "--branch", "main", "--account", "123456789012"}, "", 0, `"Version": "2012-10-17"`, ""},
		{"generate without the repository's ID says what is missing", []string{"generate", "--repo", "octo-org/octo-repo", "--branch", "main", "--account", "123456789012"}, "", 2, "", "generate: missing --repository-id: a subject that names the repository only by name"},
		{"generate without a context", []string{"generate", "--repo", "octo-org/octo-repo", "--account", "123456789012"}, "", 2, "", "generate: no context given"},
		{"generate with a bad account names the flag", []string{"generate", "--repo", "o/r", "--branch", "main", "--account", "42"}, "", 2, "", `generate: invalid --account "42"`},
		{"generate with a bad repo names the flag", []string{"generate", "--repo", "nope", "--branch", "main", "--account", "123456789012"}, "", 2, "", `generate: invalid --repo "nope"`},
		{"generate with a bad format", []string{"generate", "--repo", "o/r", "--branch", "main", "--account", "123456789012", "--format", "yaml"}, "", 2, "", `generate: invalid --format "yaml"`},
		{"generate with a stray argument", []string{"generate", "main"}, "", 2, "", `generate: unexpected argument "main"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			if !strings.Contains(out, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, out)
			}
			if !strings.HasPrefix(errOut, tt.stderrPref) {
				t.Errorf("stderr = %q, want prefix %q", errOut, tt.stderrPref)
			}
			if tt.stderrPref == "" && errOut != "" {
				t.Errorf("unexpected stderr: %q", errOut)
			}
		})
	}
}

func TestGoldenOutputs(t *testing.T) {
	tok := writeToken(t, "testdata/claims_pull_request.json")
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"explain_pull_request.txt", []string{"explain", "--policy", "testdata/main-only.json", "--claims", "testdata/claims_pull_request.json"}, 1},
		{"explain_token.txt", []string{"explain", "--policy", "testdata/main-only.json", "--token", tok}, 1},
		{"explain_plan.txt", []string{"explain", "--policy", "testdata/terraform-plan.json", "--claims", "testdata/claims_pull_request.json"}, 0},
		{"lint.txt", []string{"lint", "testdata/good.json", "testdata/org-wide.json", "testdata/stringequals-wildcard.json", "testdata/terraform-plan.json"}, 1},
		{"lint.json", []string{"lint", "--format", "json", "testdata/org-wide.json", "testdata/stringequals-wildcard.json", "testdata/terraform-plan.json"}, 1},
		{"lint.sarif", []string{"lint", "--format", "sarif", "testdata/org-wide.json", "testdata/stringequals-wildcard.json", "testdata/terraform-plan.json"}, 1},
		{"generate.json", []string{"generate", "--repo", "octo-org/octo-repo", "--repository-id", "2000002", "--owner-id", "1000001", "--branch", "main", "--environment", "production", "--account", "123456789012"}, 0},
		{"generate.tf", []string{"generate", "--repo", "octo-org@1000001/octo-repo@2000002", "--branch", "main", "--tag", "v*", "--pull-request", "--account", "123456789012", "--format", "terraform"}, 0},
		// A first plan: the role's policy is unknown until apply. Lint
		// passes, names the role and why, and checks the role that is known.
		{"lint_first_plan.txt", []string{"lint", "testdata/terraform-first-plan.json", "testdata/terraform-first-plan-unknown-only.json"}, 0},
		{"lint_first_plan.json", []string{"lint", "--format", "json", "testdata/terraform-first-plan.json"}, 0},
		// The same configuration with the provider ARN built from the
		// account ID: the first plan's policy is known, and lints clean.
		{"lint_first_plan_known.txt", []string{"lint", "--fail-on", "info", "testdata/terraform-first-plan-known.json"}, 0},
		{"lint_failure.txt", []string{"lint", "testdata/nope.json", "testdata/org-wide.json"}, 2},
		{"lint_failure.sarif", []string{"lint", "--format", "sarif", "testdata/nope.json", "testdata/good.json"}, 2},
		{"help_policy.txt", []string{"help"}, 0},
		{"help_explain.txt", []string{"explain", "--help"}, 0},
		{"help_lint.txt", []string{"lint", "--help"}, 0},
		{"help_generate.txt", []string{"generate", "--help"}, 0},
		{"help_audit.txt", []string{"audit", "--help"}, 0},
		{"lint_permissions.txt", []string{"lint", "../permissions/testdata/plan.json"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, "", tt.args...)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d; stderr: %s", code, tt.code, errOut)
			}
			golden(t, tt.name, out)
		})
	}
}

func TestExplainTokenSaysItIsUnverified(t *testing.T) {
	tok := writeToken(t, "testdata/claims_main.json")
	code, out, _ := run(t, "", "explain", "--policy", "testdata/main-only.json", "--token", tok)
	if code != 0 || !strings.Contains(out, "signature NOT verified") {
		t.Errorf("code %d, output:\n%s", code, out)
	}
}

// STS refuses an expired token before it reads the trust policy, so
// explain must not call it allowed (issue 10: "explain --token with an
// expired token says that STS would refuse it (ExpiredTokenException) and
// exits 1").
func TestExplainExpiredToken(t *testing.T) {
	tok := writeTokenTimes(t, "testdata/claims_main.json", 1767225600, 1767225900)
	code, out, _ := run(t, "", "explain", "--policy", "testdata/main-only.json", "--token", tok)
	if code != ExitFindings {
		t.Errorf("exit code %d, want %d", code, ExitFindings)
	}
	for _, want := range []string{"token: EXPIRED: the token expired at 2026-01-01T00:05:00Z", "ExpiredTokenException", "decision: allowed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	golden(t, "explain_expired_token.txt", out)
}

func TestSARIFShape(t *testing.T) {
	code, out, _ := run(t, "", "lint", "--format", "sarif", "testdata/stringequals-wildcard.json", "testdata/org-wide.json")
	if code != 1 {
		t.Fatalf("exit code %d", code)
	}
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name           string `json:"name"`
					InformationURI string `json:"informationUri"`
					Rules          []struct {
						ID               string `json:"id"`
						ShortDescription struct{ Text string }
						Help             struct{ Text string }
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || !strings.Contains(log.Schema, "sarif-2.1.0") || len(log.Runs) != 1 {
		t.Fatalf("bad header: %+v", log)
	}
	d := log.Runs[0].Tool.Driver
	if d.Name != "oidc-aws" || d.InformationURI == "" || len(d.Rules) == 0 {
		t.Errorf("bad driver: %+v", d)
	}
	want := map[string]struct {
		level, uri string
		line       int
	}{
		"OIDC005": {"error", "testdata/stringequals-wildcard.json", 14},
		"OIDC010": {"note", "testdata/stringequals-wildcard.json", 14},
		"OIDC003": {"error", "testdata/org-wide.json", 16},
	}
	if len(log.Runs[0].Results) != len(want) {
		t.Errorf("got %d results, want %d", len(log.Runs[0].Results), len(want))
	}
	for _, r := range log.Runs[0].Results {
		w, ok := want[r.RuleID]
		loc := r.Locations[0].PhysicalLocation
		if !ok || r.Level != w.level || loc.ArtifactLocation.URI != w.uri || loc.Region.StartLine != w.line {
			t.Errorf("result %s: level %q uri %q line %d, want %+v", r.RuleID, r.Level, loc.ArtifactLocation.URI, loc.Region.StartLine, w)
		}
		if d.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("ruleIndex %d names %s, not %s", r.RuleIndex, d.Rules[r.RuleIndex].ID, r.RuleID)
		}
		if r.Message.Text == "" {
			t.Errorf("result %s has no message", r.RuleID)
		}
	}
}

// Every flag a subcommand defines must be documented in its help.
func TestHelpDocumentsEveryFlag(t *testing.T) {
	flags := map[string][]string{
		"explain":  {"--policy", "--claims", "--token", "--action", "--role", "--session-name", "--issuer"},
		"lint":     {"--format", "--fail-on", "--ignore"},
		"audit":    {"--format", "--fail-on", "--ignore"},
		"generate": {"--repo", "--repository-id", "--owner-id", "--branch", "--environment", "--tag", "--pull-request", "--account", "--provider-arn", "--audience", "--issuer", "--partition", "--format"},
	}
	for cmd, fs := range flags {
		_, out, _ := run(t, "", cmd, "--help")
		for _, f := range fs {
			if !strings.Contains(out, f) {
				t.Errorf("%s --help does not mention %s", cmd, f)
			}
		}
		if !strings.Contains(out, "Examples:") {
			t.Errorf("%s --help has no examples", cmd)
		}
		// And the flag must really exist: parsing it must not fail as undefined.
		for _, f := range fs {
			_, _, errOut := run(t, "", cmd, f+"=x")
			if strings.Contains(errOut, "not defined") {
				t.Errorf("%s: help documents %s, which is not defined", cmd, f)
			}
		}
	}
}

// Lint text goes into CI logs; a hostile value must not start a line.
func TestLintTextCannotInjectLines(t *testing.T) {
	evil := `{"Statement":[{"Sid":"x\n::error::pwned","Effect":"Allow","Principal":{"Federated":"arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"*\n::warning::x","token.actions.githubusercontent.com:aud":"*\r::set-output"}}}]}`
	_, out, _ := run(t, evil, "lint", "-")
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "::") || strings.Contains(line, "\r") {
			t.Errorf("unsafe line: %q", line)
		}
	}
	if !strings.Contains(out, "OIDC002") {
		t.Errorf("expected OIDC002 in:\n%s", out)
	}
}

// generate's help says which operator the subjects get; the output must
// do what it says for exact subjects only and for a mix with patterns.
func TestGenerateHelpDescribesItsOperators(t *testing.T) {
	_, help, _ := run(t, "", "generate", "--help")
	const says = "when any branch or tag is a pattern, every subject goes under StringLike"
	if !strings.Contains(strings.Join(strings.Fields(help), " "), says) {
		t.Errorf("help does not say %q:\n%s", says, help)
	}
	base := []string{"generate", "--repo", "octo-org/octo-repo", "--repository-id", "2000002", "--account", "123456789012"}
	tests := []struct {
		name     string
		contexts []string
		op       string
	}{
		{"exact subjects go under StringEquals", []string{"--branch", "main", "--environment", "production", "--pull-request"}, "StringEquals"},
		{"a pattern puts every subject under StringLike", []string{"--branch", "main", "--branch", "release/*"}, "StringLike"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, "", append(append([]string(nil), base...), tt.contexts...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var doc struct {
				Statement []struct {
					Condition map[string]map[string]any
				}
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Statement) != 1 {
				t.Fatalf("%d statements, want 1", len(doc.Statement))
			}
			for op, keys := range doc.Statement[0].Condition {
				_, hasSub := keys["token.actions.githubusercontent.com:sub"]
				if hasSub != (op == tt.op) {
					t.Errorf("%s holds sub: %v, want sub only under %s\n%s", op, hasSub, tt.op, out)
				}
			}
		})
	}
}
