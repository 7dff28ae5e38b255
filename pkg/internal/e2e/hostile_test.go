package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode"

	"github.com/org/oidc-aws-action/pkg/internal/localgh"
	"github.com/org/oidc-aws-action/pkg/internal/localsts"
	"github.com/org/oidc-aws-action/pkg/internal/runnersim"
	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
)

// These tests try the gaps a hostile review of the action found, each
// through the built binary.

// cli runs the built binary with args in dir and returns stdout and stderr.
func cli(t *testing.T, dir string, args ...string) (stdout, stderr []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatal(err)
		}
	}
	return out.Bytes(), errOut.Bytes()
}

// wantInert fails when the runner, reading out as a step's output, would
// act on a workflow command, or when a line could become one.
func wantInert(t *testing.T, what string, out []byte) {
	t.Helper()
	if l := runnersim.ParseLog(out); len(l.Commands) != 0 {
		t.Errorf("%s issues workflow commands %v:\n%s", what, l.Commands, out)
	}
	for _, line := range strings.FieldsFunc(string(out), func(r rune) bool { return r == '\n' || r == '\r' }) {
		if strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") || strings.Contains(line, "##[") {
			t.Errorf("%s line %q could start a workflow command", what, line)
		}
	}
}

const hostileProvider = `"Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity"`

func TestPolicyCommandLinePrintsNoWorkflowCommand(t *testing.T) {
	cases := []struct {
		name, file, policy string
		args               []string
	}{
		{
			name:   "a JSON key holding a newline, echoed in a parse error",
			file:   "trust.json",
			policy: `{"Version":"2012-10-17","Statement":[{"\n::add-mask::key\n::error::forged":1}]}`,
			args:   []string{"policy", "lint", "trust.json"},
		},
		{
			name:   "the legacy form in a Sid and a condition value, lint text",
			file:   "trust.json",
			policy: `{"Version":"2012-10-17","Statement":[{"Sid":"##[error]sid","Effect":"Allow",` + hostileProvider + `,"Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"##[add-mask]cond*"}}}]}`,
			args:   []string{"policy", "lint", "trust.json"},
		},
		{
			name:   "the legacy form in a Sid and a condition value, explain",
			file:   "trust.json",
			policy: `{"Version":"2012-10-17","Statement":[{"Sid":"##[error]sid","Effect":"Allow",` + hostileProvider + `,"Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"##[warning]cond"}}}]}`,
			args:   []string{"policy", "explain", "--policy", "trust.json", "--claims", "claims.json"},
		},
		{
			name:   "a hostile file name",
			file:   "\n::error::name ##[warning]w.json",
			policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` + hostileProvider + `}]}`,
			args:   []string{"policy", "lint", "\n::error::name ##[warning]w.json", "\n::add-mask::missing.json"},
		},
	}
	claims := `{"iss":"https://token.actions.githubusercontent.com","sub":"repo:o/r:ref:refs/heads/main","aud":"sts.amazonaws.com"}`
	for _, tc := range cases {
		for _, format := range []string{"text", "json", "sarif"} {
			if format != "text" && tc.args[1] != "lint" {
				continue
			}
			t.Run(tc.name+" ("+format+")", func(t *testing.T) {
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.policy), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "claims.json"), []byte(claims), 0o644); err != nil {
					t.Fatal(err)
				}
				args := tc.args
				if format != "text" {
					args = append([]string{"policy", "lint", "--format", format}, tc.args[2:]...)
				}
				stdout, stderr := cli(t, dir, args...)
				if len(stdout)+len(stderr) == 0 {
					t.Fatal("the command printed nothing")
				}
				wantInert(t, "stdout", stdout)
				wantInert(t, "stderr", stderr)
				if format != "text" && !json.Valid(stdout) {
					t.Errorf("--format %s output is not JSON:\n%s", format, stdout)
				}
			})
		}
	}
}

func TestSTSValuesNotShapedAsSTSShapesThemAreNeverExported(t *testing.T) {
	t.Parallel()
	const evil = "$(touch${IFS}/tmp/pwned)"
	cases := []struct{ name, element, value string }{
		{"shell syntax in the assumed-role ARN", "Arn", "arn:aws:sts::" + sandbox.Account + ":assumed-role/deploy/" + evil},
		{"a backtick in the access key ID", "AccessKeyId", "ASIA`id`AAAAAAAAAAAA"},
		{"shell syntax in the secret key", "SecretAccessKey", "wJalrXUtnFEMI;" + evil},
		{"shell syntax in the session token", "SessionToken", "FwoGZXIvYXdz" + strings.Repeat("A", 64) + evil},
		{"a session token of 3 characters", "SessionToken", "abc"},
		{"a secret key of 8 characters", "SecretAccessKey", "wJalrXUt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sb := start(t, sandbox.Options{})
			sb.STS.Inject(localsts.Fault{Kind: localsts.FaultAnswerValues, Values: map[string]string{tc.element: tc.value}})
			r := runStep(t, sb, newStep(t, sb, map[string]string{"output-credentials": "true"}))
			r.wantExit(t, 1)
			r.wantLog(t, tc.element, "value withheld")
			raw := string(r.run.Stdout)
			if strings.Contains(raw, "Why STS refused") {
				t.Error("a malformed answer is diagnosed as a refusal")
			}
			for _, s := range []string{tc.value, evil, "`id`"} {
				if strings.Contains(raw, s) {
					t.Errorf("the log echoes %q", s)
				}
			}
			for k := range r.res.Env {
				if k != "AWS_REGION" && k != "AWS_DEFAULT_REGION" {
					t.Errorf("GITHUB_ENV got %s", k)
				}
			}
			if len(r.res.Outputs) != 0 {
				t.Errorf("GITHUB_OUTPUT got %v", r.res.Outputs)
			}
		})
	}
	t.Run("a truncated answer says so, without a refusal's diagnosis", func(t *testing.T) {
		t.Parallel()
		sb := start(t, sandbox.Options{})
		sb.STS.Inject(localsts.Fault{Kind: localsts.FaultTruncatedXML})
		r := runStep(t, sb, newStep(t, sb, map[string]string{"retry-max-attempts": "1"}))
		r.wantExit(t, 1)
		r.wantLog(t, "Error: STS call failed: AssumeRoleWithWebIdentity: ")
		if raw := string(r.run.Stdout); strings.Contains(raw, "Why STS refused") || strings.Contains(raw, "error code:") {
			t.Errorf("a truncated answer is diagnosed as a refusal:\n%s", raw)
		}
	})
	t.Run("MinIO's shapes are exported: an empty ARN and a JWT session token", func(t *testing.T) {
		t.Parallel()
		sb := start(t, sandbox.Options{})
		minio := map[string]string{
			"Arn": "", "AssumedRoleId": "",
			"AccessKeyId":     "Z4OGCWS7Z9H3KSPBE3DD",
			"SecretAccessKey": "mX+fTXtRb0GEqH3V2XJb2oDg4Zs1NXRdlVa/Qk3T",
			"SessionToken":    "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJhY2Nlc3NLZXkiOiJaNE9HQ1dTN1oifQ.3r-vQ_lTx0Nf8a9",
		}
		sb.STS.Inject(localsts.Fault{Kind: localsts.FaultAnswerValues, Values: minio})
		r := runStep(t, sb, newStep(t, sb, nil))
		r.wantExit(t, 0)
		if r.res.Env["AWS_ACCESS_KEY_ID"] != minio["AccessKeyId"] || r.res.Env["AWS_SESSION_TOKEN"] != minio["SessionToken"] {
			t.Errorf("GITHUB_ENV = %v", r.res.Env)
		}
		if v, ok := r.res.Outputs["authenticated-arn"]; !ok || v != "" {
			t.Errorf("authenticated-arn = %q (set %v), want set and empty", v, ok)
		}
	})
}

func TestTheRequestTokenFollowsNoRedirect(t *testing.T) {
	t.Parallel()
	sb, err := sandbox.Start(sandbox.Options{IssuerTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	iss := sb.Issuer

	// Same host as the https token URL, another port, plain http: Go's
	// client would keep the Authorization header on the way there.
	var requests, withToken atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if strings.Contains(r.Header.Get("Authorization"), iss.RequestToken()) {
			withToken.Add(1)
		}
		http.Error(w, "nothing here", http.StatusNotFound)
	}))
	t.Cleanup(elsewhere.Close)
	if !strings.HasPrefix(iss.RequestURL(), "https://127.0.0.1:") || !strings.HasPrefix(elsewhere.URL, "http://127.0.0.1:") {
		t.Fatalf("want https and http on one host: %s, %s", iss.RequestURL(), elsewhere.URL)
	}
	iss.Inject(localgh.Fault{Kind: localgh.FaultRedirect, Location: elsewhere.URL + "/token"})

	st := newStep(t, sb, nil)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, iss.CertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	st.Env["SSL_CERT_FILE"], st.Env["SSL_CERT_DIR"] = caFile, t.TempDir()
	r := runStep(t, sb, st)
	r.wantExit(t, 1)
	r.wantLog(t, "redirect (HTTP 302), which is not followed")
	if n := withToken.Load(); n != 0 {
		t.Errorf("the request token was sent to the redirect target %d times", n)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests", n)
	}
	if _, ok := r.res.Env["AWS_ACCESS_KEY_ID"]; ok {
		t.Error("credentials were exported")
	}
}

// TestMaskAccountIDHidesEveryAccountOnEveryPath runs the step with
// mask-aws-account-id: true down each path, and reads the log as the runner
// shows it (masks applied): no account ID the step knows may be visible.
func TestMaskAccountIDHidesEveryAccountOnEveryPath(t *testing.T) {
	t.Parallel()
	const foreign = "999999999999"
	pr := map[string]any{"event_name": "pull_request", "ref": "refs/pull/7/merge"}
	cases := []struct {
		name     string
		claims   map[string]any
		with     map[string]string
		fault    *localsts.Fault
		env      map[string]string
		wantExit int
		wantLog  string
	}{
		{name: "success, with debug-claims and the trust-policy report", with: map[string]string{"debug-claims": "true", "trust-policy": "trust.json"}, wantExit: 0, wantLog: "Assumed the role"},
		{name: "refused: the diagnosis names the provider ARN", claims: pr, wantExit: 1, wantLog: "Why STS refused"},
		{name: "refused, with the trust-policy report that denies", claims: pr, with: map[string]string{"trust-policy": "trust.json"}, wantExit: 1, wantLog: "DENIES"},
		{name: "STS's message quotes ARNs of the account (role chaining)", with: map[string]string{"role-chaining": "true"},
			env:   map[string]string{"AWS_ACCESS_KEY_ID": "ASIAEXAMPLESOURCE001", "AWS_SECRET_ACCESS_KEY": "c2VjcmV0", "AWS_SESSION_TOKEN": "dG9rZW4="},
			fault: &localsts.Fault{Kind: localsts.FaultAccessDenied}, wantExit: 1, wantLog: "is not authorized"},
		{name: "STS's message quotes ARNs of the account (web identity)", fault: &localsts.Fault{Kind: localsts.FaultRegionDisabled}, wantExit: 1, wantLog: "RegionDisabledException"},
		{name: "an invalid role-to-assume is echoed in a validation error", with: map[string]string{"role-to-assume": "arn:aws:iam::" + sandbox.Account + ":rol/deploy"}, wantExit: 1, wantLog: "role-to-assume"},
		{name: "the role's account is not in allowed-account-ids", with: map[string]string{"allowed-account-ids": foreign}, wantExit: 1, wantLog: "allowed-account-ids"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sb := start(t, sandbox.Options{Claims: tc.claims})
			if tc.fault != nil {
				sb.STS.Inject(*tc.fault)
			}
			with := map[string]string{"mask-aws-account-id": "true"}
			for k, v := range tc.with {
				with[k] = v
			}
			st := newStep(t, sb, with)
			if err := os.WriteFile(filepath.Join(st.Dir, "trust.json"), []byte(sandbox.DefaultTrustPolicy), 0o644); err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.env {
				st.Env[k] = v
			}
			r := runStep(t, sb, st)
			r.wantExit(t, tc.wantExit)
			r.wantLog(t, tc.wantLog)
			for _, acct := range []string{sandbox.Account, foreign} {
				if strings.Contains(r.log.Text(), acct) {
					t.Errorf("the log shows account %s:\n%s", acct, r.log.Text())
				}
				if strings.Contains(r.res.Summary, acct) {
					t.Errorf("the step summary shows account %s", acct)
				}
			}
		})
	}
}

// startStep starts the built binary as the runner would for st, without
// waiting for it.
func startStep(t *testing.T, st *sandbox.Step) (cmd *exec.Cmd, stdout *bytes.Buffer) {
	t.Helper()
	cmd = exec.Command(bin)
	cmd.Env, cmd.Dir = st.Environ(), st.Dir
	stdout = &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = stdout, stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, stdout
}

// waitExit waits for cmd, failing the test when it has not ended within
// limit: the run hangs. limit is generous; only a hang exceeds it.
func waitExit(t *testing.T, cmd *exec.Cmd, limit time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(limit):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("the step still runs after %s: it hangs", limit)
		return -1
	}
}

func TestFileInputsThatCouldHangAreRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, input string
		make        func(t *testing.T, path string)
		want        string
	}{
		{"trust-policy is a FIFO", "trust-policy", mkfifo, "a named pipe (FIFO), not a regular file"},
		{"trust-policy is a committed symlink to /dev/ptmx", "trust-policy", symlinkTo("/dev/ptmx"), "a character device, not a regular file"},
		{"trust-policy is a committed symlink to /dev/stdout", "trust-policy", symlinkTo("/dev/stdout"), "not a regular file"},
		{"web-identity-token-file is a FIFO", "web-identity-token-file", mkfifo, "a named pipe (FIFO), not a regular file"},
		{"web-identity-token-file is a committed symlink to /dev/ptmx", "web-identity-token-file", symlinkTo("/dev/ptmx"), "a character device, not a regular file"},
		{"web-identity-token-file is a committed symlink to /dev/stdout", "web-identity-token-file", symlinkTo("/dev/stdout"), "not a regular file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sb := start(t, sandbox.Options{})
			st := newStep(t, sb, map[string]string{tc.input: "committed"})
			tc.make(t, filepath.Join(st.Dir, "committed"))
			cmd, out := startStep(t, st)
			if code := waitExit(t, cmd, 30*time.Second); code != 1 {
				t.Fatalf("exit code %d, want 1\n%s", code, out)
			}
			log := runnersim.ParseLog(out.Bytes())
			if len(log.Errors) != 1 || !strings.Contains(log.Errors[0], `input "`+tc.input+`"`) || !strings.Contains(log.Errors[0], tc.want) {
				t.Errorf("errors %q, want one naming input %q and saying %q", log.Errors, tc.input, tc.want)
			}
			if n := sb.STS.Stats().Requests; n != 0 {
				t.Errorf("STS got %d requests", n)
			}
		})
	}
}

func mkfifo(t *testing.T, path string) {
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlinkTo(target string) func(t *testing.T, path string) {
	return func(t *testing.T, path string) {
		if err := os.Symlink(target, path); err != nil {
			t.Fatal(err)
		}
	}
}

func TestASignalEndsTheRunPromptlyWithAClearMessage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		sig    syscall.Signal
		hang   func(sb *sandbox.Sandbox)
		waited func(sb *sandbox.Sandbox) bool
		stage  string
	}{
		{"SIGTERM while the token endpoint hangs", syscall.SIGTERM,
			func(sb *sandbox.Sandbox) { sb.Issuer.Inject(localgh.Fault{Kind: localgh.FaultHang}) },
			func(sb *sandbox.Sandbox) bool { return sb.Issuer.Stats().InFlight > 0 }, "token request"},
		{"SIGINT while the token endpoint hangs", syscall.SIGINT,
			func(sb *sandbox.Sandbox) { sb.Issuer.Inject(localgh.Fault{Kind: localgh.FaultHang}) },
			func(sb *sandbox.Sandbox) bool { return sb.Issuer.Stats().InFlight > 0 }, "token request"},
		{"SIGTERM while STS hangs", syscall.SIGTERM,
			func(sb *sandbox.Sandbox) { sb.STS.Inject(localsts.Fault{Kind: localsts.FaultHang}) },
			func(sb *sandbox.Sandbox) bool { return sb.STS.Stats().InFlight > 0 }, "STS call"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sb := start(t, sandbox.Options{})
			tc.hang(sb)
			st := newStep(t, sb, nil)
			cmd, out := startStep(t, st)
			deadline := time.Now().Add(time.Minute)
			for !tc.waited(sb) {
				if time.Now().After(deadline) {
					t.Fatalf("the request never arrived\n%s", out)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			if code := waitExit(t, cmd, 30*time.Second); code != 1 {
				t.Fatalf("exit code %d, want 1\n%s", code, out)
			}
			log := runnersim.ParseLog(out.Bytes())
			name := map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT"}[tc.sig]
			if len(log.Errors) != 1 || !strings.HasPrefix(log.Errors[0], tc.stage+" failed: stopped by "+name) {
				t.Errorf("errors %q, want one saying the %s was stopped by %s", log.Errors, tc.stage, name)
			}
		})
	}
}
