// Package e2e runs the shipped binary as the runner runs it, against the local
// stand-ins, and reads its effects back as the runner parses them. Tests only.
package e2e

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/internal/localgh"
	"github.com/org/oidc-aws-action/pkg/internal/localsts"
	"github.com/org/oidc-aws-action/pkg/internal/runnersim"
	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
)

// These tests run the binary built as the Dockerfile builds it, the way the
// runner runs it: an environment of INPUT_* variables and file-command
// paths, stdout as the log. They read GITHUB_ENV and GITHUB_OUTPUT back as
// the runner parses them.

var bin string

var update = flag.Bool("update", false, "rewrite golden files")

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "oidc-aws-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin, err = sandbox.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	run  *sandbox.Run
	log  *runnersim.Log
	res  *sandbox.Results
	sb   *sandbox.Sandbox
	step *sandbox.Step
}

func start(t *testing.T, o sandbox.Options) *sandbox.Sandbox {
	t.Helper()
	sb, err := sandbox.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	return sb
}

func newStep(t *testing.T, sb *sandbox.Sandbox, with map[string]string) *sandbox.Step {
	t.Helper()
	st, err := sb.NewStep(t.TempDir(), with)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func runStep(t *testing.T, sb *sandbox.Sandbox, st *sandbox.Step) *result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := st.Run(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Read()
	if err != nil {
		t.Fatalf("reading the step's files back: %v\nlog:\n%s", err, run.Stdout)
	}
	if len(run.Stderr) > 0 {
		t.Errorf("the action wrote to stderr, which the runner shows unmasked:\n%s", run.Stderr)
	}
	return &result{run: run, log: runnersim.ParseLog(run.Stdout), res: res, sb: sb, step: st}
}

func runAction(t *testing.T, o sandbox.Options, with map[string]string) *result {
	t.Helper()
	sb := start(t, o)
	return runStep(t, sb, newStep(t, sb, with))
}

func (r *result) wantExit(t *testing.T, code int) {
	t.Helper()
	if r.run.ExitCode != code {
		t.Fatalf("exit code %d, want %d\nlog:\n%s", r.run.ExitCode, code, r.log.Text())
	}
}

func (r *result) wantLog(t *testing.T, substrings ...string) {
	t.Helper()
	text := r.log.Text()
	for _, s := range substrings {
		if !strings.Contains(text, s) {
			t.Errorf("log lacks %q\nlog:\n%s", s, text)
		}
	}
}

var jwtRe = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.`)

// secretsNeverVisible checks that every secret the step produced, and any
// extra one named, is masked before the log could show it, and that no
// token-shaped text appears.
func (r *result) secretsNeverVisible(t *testing.T, extra ...string) {
	t.Helper()
	out := string(r.run.Stdout)
	visible := r.log.Text()
	if m := jwtRe.FindString(visible); m != "" {
		t.Errorf("a JWT is visible in the log: %q…", m[:12])
	}
	secrets := map[string]string{}
	for _, name := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		secrets[name] = r.res.Env[name]
	}
	for i, v := range extra {
		secrets[fmt.Sprintf("secret #%d", i+1)] = v
	}
	for name, v := range secrets {
		if v == "" {
			continue
		}
		if strings.Contains(visible, v) {
			t.Errorf("%s is visible in the log", name)
		}
		// The raw stdout may hold it only in its own add-mask line, and
		// that line must come before any other mention.
		first := strings.Index(out, v)
		mask := strings.Index(out, "::add-mask::"+v)
		if first >= 0 && (mask < 0 || first != mask+len("::add-mask::")) {
			t.Errorf("%s appears in stdout before it is masked", name)
		}
	}
}

func TestActionRun(t *testing.T) {
	t.Parallel()
	t.Run("a push to main gets credentials exported to later steps", func(t *testing.T) {
		t.Parallel()
		r := runAction(t, sandbox.Options{}, nil)
		r.wantExit(t, 0)
		env := r.res.Env
		for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION"} {
			if env[k] == "" {
				t.Errorf("GITHUB_ENV lacks %s", k)
			}
		}
		if env["AWS_REGION"] != "us-east-1" || env["AWS_DEFAULT_REGION"] != "us-east-1" {
			t.Errorf("region not exported: %v / %v", env["AWS_REGION"], env["AWS_DEFAULT_REGION"])
		}
		if !strings.HasPrefix(env["AWS_ACCESS_KEY_ID"], "ASIA") {
			t.Errorf("access key %q is not a temporary one", env["AWS_ACCESS_KEY_ID"][:4])
		}
		exp, err := time.Parse(time.RFC3339, env["AWS_CREDENTIAL_EXPIRATION"])
		if err != nil || time.Until(exp) < 50*time.Minute || time.Until(exp) > 61*time.Minute {
			t.Errorf("AWS_CREDENTIAL_EXPIRATION %q is not about an hour away (%v)", env["AWS_CREDENTIAL_EXPIRATION"], err)
		}
		out := r.res.Outputs
		if out["aws-account-id"] != sandbox.Account {
			t.Errorf("aws-account-id = %q, want %q", out["aws-account-id"], sandbox.Account)
		}
		if out["authenticated-arn"] != "arn:aws:sts::"+sandbox.Account+":assumed-role/deploy/GitHubActions" {
			t.Errorf("authenticated-arn = %q", out["authenticated-arn"])
		}
		if _, ok := out["aws-secret-access-key"]; ok {
			t.Error("credentials set as outputs without output-credentials: true")
		}
		r.secretsNeverVisible(t)
		for _, want := range []string{"Role", "deploy", "GitHubActions", sandbox.Account, "repo:octo-org/octo-repo:ref:refs/heads/main"} {
			if !strings.Contains(r.res.Summary, want) {
				t.Errorf("step summary lacks %q:\n%s", want, r.res.Summary)
			}
		}
		if strings.Contains(r.res.Summary, env["AWS_SECRET_ACCESS_KEY"]) || strings.Contains(r.res.Summary, env["AWS_SESSION_TOKEN"]) {
			t.Error("the step summary holds a secret")
		}
		reqs := r.sb.STS.Requests()
		if len(reqs) != 1 || reqs[0].Action != "AssumeRoleWithWebIdentity" || reqs[0].RoleSessionName != "GitHubActions" || reqs[0].DurationSeconds != "3600" {
			t.Errorf("STS saw %+v, want one AssumeRoleWithWebIdentity for GitHubActions, 3600 s", reqs)
		}
		if got := reqs[0].TokenAudience; len(got) != 1 || got[0] != "sts.amazonaws.com" {
			t.Errorf("token audience %v, want [sts.amazonaws.com]", got)
		}
	})

	t.Run("output-credentials sets the credentials as plain step outputs", func(t *testing.T) {
		t.Parallel()
		r := runAction(t, sandbox.Options{}, map[string]string{"output-credentials": "true", "output-env-credentials": "false"})
		r.wantExit(t, 0)
		out := r.res.Outputs
		for _, k := range []string{"aws-access-key-id", "aws-secret-access-key", "aws-session-token"} {
			if out[k] == "" {
				t.Errorf("output %s missing", k)
			}
		}
		if _, err := time.Parse(time.RFC3339, out["aws-expiration"]); err != nil || strings.Contains(out["aws-expiration"], `"`) {
			t.Errorf("aws-expiration %q is not plain RFC 3339", out["aws-expiration"])
		}
		if _, ok := r.res.Env["AWS_SECRET_ACCESS_KEY"]; ok {
			t.Error("output-env-credentials: false still exported credentials")
		}
		// As configure-aws-credentials does, and as the input's description
		// says: the region stays out of the environment too.
		for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
			if v, ok := r.res.Env[k]; ok {
				t.Errorf("output-env-credentials: false still exported %s=%s", k, v)
			}
		}
	})

	t.Run("session settings reach STS as sent by the user", func(t *testing.T) {
		t.Parallel()
		r := runAction(t, sandbox.Options{}, map[string]string{
			"role-session-name":        "deploy-42",
			"role-duration-seconds":    "7200",
			"inline-session-policy":    `{ "Version": "2012-10-17", "Statement": [ {"Effect":"Allow","Action":"s3:GetObject","Resource":"*"} ] }`,
			"managed-session-policies": "arn:aws:iam::aws:policy/ReadOnlyAccess\narn:aws:iam::123456789012:policy/extra",
		})
		r.wantExit(t, 0)
		req := r.sb.STS.Requests()[0]
		if req.RoleSessionName != "deploy-42" || req.DurationSeconds != "7200" {
			t.Errorf("STS saw session %q for %s s", req.RoleSessionName, req.DurationSeconds)
		}
		if req.Policy != `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}` {
			t.Errorf("Policy sent = %q, want the compact form", req.Policy)
		}
		if len(req.PolicyArns) != 2 || req.PolicyArns[0] != "arn:aws:iam::aws:policy/ReadOnlyAccess" {
			t.Errorf("PolicyArns sent = %v", req.PolicyArns)
		}
	})

	t.Run("a custom audience is requested from the runner and sent to STS", func(t *testing.T) {
		t.Parallel()
		r := runAction(t, sandbox.Options{Audiences: []string{"sts.amazonaws.com", "my-audience"}, TrustPolicy: strings.Replace(sandbox.DefaultTrustPolicy, `:aud": "sts.amazonaws.com"`, `:aud": "my-audience"`, 1)},
			map[string]string{"audience": "my-audience"})
		r.wantExit(t, 0)
		if got := r.sb.STS.Requests()[0].TokenAudience; len(got) != 1 || got[0] != "my-audience" {
			t.Errorf("token audience %v, want [my-audience]", got)
		}
	})

	t.Run("mask-aws-account-id hides the account and role ARN", func(t *testing.T) {
		t.Parallel()
		r := runAction(t, sandbox.Options{}, map[string]string{"mask-aws-account-id": "true"})
		r.wantExit(t, 0)
		if strings.Contains(r.log.Text(), sandbox.Account) {
			t.Errorf("account ID visible:\n%s", r.log.Text())
		}
		if strings.Contains(r.res.Summary, sandbox.Account) {
			t.Errorf("account ID in the step summary:\n%s", r.res.Summary)
		}
		masked := strings.Join(r.log.Masks, "\n")
		if !strings.Contains(masked, sandbox.Account) {
			t.Error("account ID never masked")
		}
		if r.res.Outputs["aws-account-id"] != sandbox.Account {
			t.Error("the output must still carry the account ID (the runner masks it)")
		}
	})

	t.Run("unset-current-credentials clears old credentials before new ones", func(t *testing.T) {
		t.Parallel()
		sb := start(t, sandbox.Options{})
		st := newStep(t, sb, map[string]string{"unset-current-credentials": "true", "output-env-credentials": "false"})
		r := runStep(t, sb, st)
		r.wantExit(t, 0)
		if v, ok := r.res.Env["AWS_SECRET_ACCESS_KEY"]; !ok || v != "" {
			t.Errorf("AWS_SECRET_ACCESS_KEY = %q (set %v), want set to empty", v, ok)
		}
	})

	t.Run("debug-claims without a role prints claims and calls no STS", func(t *testing.T) {
		t.Parallel()
		r := runAction(t, sandbox.Options{Claims: map[string]any{"environment": "prod"}}, map[string]string{"role-to-assume": "", "debug-claims": "true"})
		r.wantExit(t, 0)
		r.wantLog(t, "repository:", "octo-org/octo-repo", "token.actions.githubusercontent.com:sub = \"repo:octo-org/octo-repo:environment:prod\"")
		if n := r.sb.STS.Stats().Requests; n != 0 {
			t.Errorf("STS got %d requests", n)
		}
		if !strings.Contains(r.res.Summary, "| `sub` | `repo:octo-org/octo-repo:environment:prod` |") {
			t.Errorf("claims table missing from the summary:\n%s", r.res.Summary)
		}
		if _, ok := r.res.Env["AWS_ACCESS_KEY_ID"]; ok {
			t.Error("credentials exported in claims-only mode")
		}
		r.secretsNeverVisible(t)
	})

	t.Run("debug-claims with a role prints claims and still assumes it", func(t *testing.T) {
		t.Parallel()
		r := runAction(t, sandbox.Options{}, map[string]string{"debug-claims": "true"})
		r.wantExit(t, 0)
		r.wantLog(t, "OIDC token claims (unverified", "job_workflow_ref:")
		if r.res.Env["AWS_ACCESS_KEY_ID"] == "" {
			t.Error("no credentials")
		}
		r.secretsNeverVisible(t)
	})

	t.Run("web-identity-token-file replaces the runner's token endpoint", func(t *testing.T) {
		t.Parallel()
		sb := start(t, sandbox.Options{})
		st := newStep(t, sb, map[string]string{"web-identity-token-file": "token.jwt"})
		tok, err := sb.Issuer.Mint(map[string]any{"aud": "sts.amazonaws.com"})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(st.Dir, "token.jwt"), []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		delete(st.Env, "ACTIONS_ID_TOKEN_REQUEST_URL")
		delete(st.Env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
		r := runStep(t, sb, st)
		r.wantExit(t, 0)
		if !strings.Contains(string(r.run.Stdout), "::add-mask::"+tok) {
			t.Error("the file's token was never masked")
		}
		r.secretsNeverVisible(t, tok)
	})

	t.Run("role chaining assumes a second role with the first role's credentials", func(t *testing.T) {
		t.Parallel()
		sb := start(t, sandbox.Options{})
		second := "arn:aws:iam::" + sandbox.Account + ":role/audit"
		if err := sb.STS.AddRole(second, localsts.Role{TrustedRoles: []string{sandbox.RoleARN}, ExternalID: "ext-123"}); err != nil {
			t.Fatal(err)
		}
		first := runStep(t, sb, newStep(t, sb, nil))
		first.wantExit(t, 0)
		st := newStep(t, sb, map[string]string{"role-to-assume": second, "role-chaining": "true", "role-external-id": "ext-123", "role-session-name": "audit"})
		for k, v := range first.res.Env {
			st.Env[k] = v // what the runner does with GITHUB_ENV for the next step
		}
		r := runStep(t, sb, st)
		r.wantExit(t, 0)
		if got := r.res.Outputs["authenticated-arn"]; got != "arn:aws:sts::"+sandbox.Account+":assumed-role/audit/audit" {
			t.Errorf("authenticated-arn = %q", got)
		}
		if r.res.Env["AWS_ACCESS_KEY_ID"] == first.res.Env["AWS_ACCESS_KEY_ID"] {
			t.Error("chained step exported the first role's credentials")
		}
		reqs := sb.STS.Requests()
		last := reqs[len(reqs)-1]
		if last.Action != "AssumeRole" || last.ExternalID != "ext-123" || last.AccessKeyID != first.res.Env["AWS_ACCESS_KEY_ID"] {
			t.Errorf("STS saw %+v, want AssumeRole signed with the first credentials and the external ID", last)
		}
		// Session tags as configure-aws-credentials sends them, from the
		// runner's variables.
		sent := map[string]string{}
		for _, tag := range last.Tags {
			sent[tag.Key] = tag.Value
		}
		for key, env := range map[string]string{"Repository": "GITHUB_REPOSITORY", "Commit": "GITHUB_SHA", "Branch": "GITHUB_REF", "RunId": "GITHUB_RUN_ID"} {
			if sent[key] == "" || sent[key] != st.Env[env] {
				t.Errorf("session tag %s = %q, want %s = %q", key, sent[key], env, st.Env[env])
			}
		}
		if sent["GitHub"] != "Actions" {
			t.Errorf("session tags %v lack GitHub=Actions", sent)
		}
		r.secretsNeverVisible(t)
		if strings.Contains(r.log.Text(), first.res.Env["AWS_SECRET_ACCESS_KEY"]) {
			t.Error("the source secret key is visible")
		}
	})
}

func TestActionRefusesBadInputsBeforeAnyNetworkCall(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		with map[string]string
		want string
	}{
		{"a role name instead of an ARN", map[string]string{"role-to-assume": "deploy"}, `input "role-to-assume"`},
		{"a missing region", map[string]string{"aws-region": ""}, `input "aws-region": is required`},
		{"a region with capitals", map[string]string{"aws-region": "US-EAST-1"}, `input "aws-region"`},
		{"a duration under 15 minutes", map[string]string{"role-duration-seconds": "60"}, `input "role-duration-seconds"`},
		{"a yes instead of true", map[string]string{"output-credentials": "yes"}, `input "output-credentials": "yes" is not a boolean`},
		{"an inline policy that is not JSON", map[string]string{"inline-session-policy": "{nope"}, `input "inline-session-policy"`},
		{"eleven managed policies", map[string]string{"managed-session-policies": strings.Repeat("arn:aws:iam::aws:policy/P\n", 11)}, `input "managed-session-policies": lists 11 policies`},
		{"a session name with a space", map[string]string{"role-session-name": "my session"}, `input "role-session-name"`},
		{"an account ID of 11 digits", map[string]string{"allowed-account-ids": "12345678901"}, `input "allowed-account-ids"`},
		{"a missing trust-policy file", map[string]string{"trust-policy": "nope.json"}, `input "trust-policy"`},
		{"an sts-endpoint that is not http(s)", map[string]string{"sts-endpoint": "ftp://sts.example"}, `input "sts-endpoint"`},
		{"a static key left over from configure-aws-credentials", map[string]string{"aws-secret-access-key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}, `input "aws-secret-access-key": is an input of aws-actions/configure-aws-credentials`},
		{"custom tags without role chaining", map[string]string{"custom-tags": `{"Team": "payments"}`}, `input "custom-tags": is only sent with role-chaining: true`},
		{"an external ID without role chaining", map[string]string{"role-external-id": "ext-123"}, `input "role-external-id": is only sent with role-chaining: true`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := runAction(t, sandbox.Options{}, c.with)
			r.wantExit(t, 1)
			if len(r.log.Errors) != 1 || !strings.Contains(r.log.Errors[0], c.want) {
				t.Errorf("errors %q, want one containing %q", r.log.Errors, c.want)
			}
			if !strings.Contains(r.log.Errors[0], "validation failed") {
				t.Errorf("error %q does not name the stage", r.log.Errors[0])
			}
			if v := c.with["aws-secret-access-key"]; v != "" && strings.Contains(string(r.run.Stdout), v) {
				t.Error("the static secret key reached the log")
			}
			if st := r.sb.Issuer.Stats(); st.Requests != 0 {
				t.Errorf("the token endpoint got %d requests", st.Requests)
			}
			if st := r.sb.STS.Stats(); st.Requests != 0 {
				t.Errorf("STS got %d requests", st.Requests)
			}
			if len(r.res.Env) != 0 || len(r.res.Outputs) != 0 {
				t.Errorf("a refused step still wrote GITHUB_ENV %v / GITHUB_OUTPUT %v", r.res.Env, r.res.Outputs)
			}
		})
	}
}

func TestActionWithoutTokenPermissionSaysHowToGrantIt(t *testing.T) {
	t.Parallel()
	sb := start(t, sandbox.Options{})
	st := newStep(t, sb, nil)
	delete(st.Env, "ACTIONS_ID_TOKEN_REQUEST_URL")
	delete(st.Env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	r := runStep(t, sb, st)
	r.wantExit(t, 1)
	r.wantLog(t, "token request failed", "permissions: id-token: write", "Dependabot")
	if sb.STS.Stats().Requests != 0 {
		t.Error("STS was called without a token")
	}
}

func TestActionExplainsRefusals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		claims map[string]any
		policy string
		with   map[string]string
		want   []string
	}{
		{
			name:   "a pull-request job against a main-only role",
			claims: map[string]any{"event_name": "pull_request", "ref": "refs/pull/7/merge"},
			want:   []string{"AccessDenied", `:sub = "repo:octo-org/octo-repo:pull_request"`, "runs for a pull request", `"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:pull_request"`},
		},
		{
			name:   "a job in an environment against a branch-pinned role",
			claims: map[string]any{"environment": "production"},
			want:   []string{"AccessDenied", "uses the environment \"production\"", `"repo:octo-org/octo-repo:environment:production"`},
		},
		{
			name:   "a repository with immutable subjects against a name-based policy",
			claims: map[string]any{"sub": "repo:octo-org@65432101/octo-repo@745120001:ref:refs/heads/main"},
			want:   []string{"immutable subject format", `"repo:octo-org@65432101/octo-repo@745120001:ref:refs/heads/main"`},
		},
		{
			name:   "a customised subject template",
			claims: map[string]any{"sub": "repository_owner_id:65432101:repository_id:745120001:ref:refs/heads/main"},
			want:   []string{"customised subject template"},
		},
		{
			name:   "an enterprise issuer the account has no provider for",
			claims: map[string]any{"iss": "https://token.actions.githubusercontent.com/acme"},
			want:   []string{"InvalidIdentityToken", "custom issuer", `"token.actions.githubusercontent.com/acme:"`},
		},
		{
			name: "an audience the account's OIDC provider does not list",
			with: map[string]string{"audience": "my-app"},
			want: []string{"InvalidIdentityToken", "Incorrect token audience", `The token's audience is "my-app"`},
		},
		{
			name:   "a GitHub Enterprise Server issuer",
			claims: map[string]any{"iss": "https://ghes.example.com/_services/token"},
			want:   []string{"InvalidIdentityToken", "GitHub Enterprise Server", `"ghes.example.com/_services/token:"`},
		},
		{
			name: "a role in aws-us-gov is told of the provider in aws-us-gov",
			with: map[string]string{"role-to-assume": "arn:aws-us-gov:iam::" + sandbox.Account + ":role/deploy"},
			want: []string{"AccessDenied", "(provider arn:aws-us-gov:iam::" + sandbox.Account + ":oidc-provider/token.actions.githubusercontent.com)"},
		},
		{
			name: "a role in aws-cn is told of the provider in aws-cn",
			with: map[string]string{"role-to-assume": "arn:aws-cn:iam::" + sandbox.Account + ":role/deploy"},
			want: []string{"AccessDenied", "(provider arn:aws-cn:iam::" + sandbox.Account + ":oidc-provider/token.actions.githubusercontent.com)"},
		},
		{
			name:   "a StringEquals policy with a wildcard",
			policy: strings.Replace(sandbox.DefaultTrustPolicy, "ref:refs/heads/main", "*", 1),
			want:   []string{"AccessDenied", `:sub = "repo:octo-org/octo-repo:ref:refs/heads/main"`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := runAction(t, sandbox.Options{Claims: c.claims, TrustPolicy: c.policy}, c.with)
			r.wantExit(t, 1)
			r.wantLog(t, append([]string{"STS call failed", "request ID"}, c.want...)...)
			if len(r.log.Errors) != 1 {
				t.Errorf("want one error annotation, got %q", r.log.Errors)
			}
			for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
				if _, ok := r.res.Env[k]; ok {
					t.Errorf("%s exported after a refusal", k)
				}
			}
			r.secretsNeverVisible(t)
		})
	}
}

func TestRefusalLogGolden(t *testing.T) {
	t.Parallel()
	r := runAction(t, sandbox.Options{Claims: map[string]any{"event_name": "pull_request", "ref": "refs/pull/7/merge"}}, nil)
	r.wantExit(t, 1)
	checkGolden(t, "refusal-pull-request.golden", r.log.Text())
}

func TestDebugClaimsAndSummaryGolden(t *testing.T) {
	t.Parallel()
	r := runAction(t, sandbox.Options{Claims: map[string]any{"environment": "production"}}, map[string]string{"debug-claims": "true", "role-to-assume": ""})
	r.wantExit(t, 0)
	checkGolden(t, "debug-claims-log.golden", r.log.Text())
	checkGolden(t, "debug-claims-summary.golden", r.res.Summary)
}

func TestSuccessSummaryGolden(t *testing.T) {
	t.Parallel()
	r := runAction(t, sandbox.Options{}, nil)
	r.wantExit(t, 0)
	checkGolden(t, "success-log.golden", r.log.Text())
	checkGolden(t, "success-summary.golden", r.res.Summary)
}

func checkGolden(t *testing.T, name, text string) {
	t.Helper()
	got := normalize(text)
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update if intended)\n--- got:\n%s", golden, got)
	}
}

var (
	portRe = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	uuidRe = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	timeRe = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	unixRe = regexp.MustCompile(`\b1\d{9}\b`)
)

// normalize replaces what differs between runs: ports, request and token
// IDs, times.
func normalize(s string) string {
	s = portRe.ReplaceAllString(s, "127.0.0.1:PORT")
	s = uuidRe.ReplaceAllString(s, "UUID")
	s = timeRe.ReplaceAllString(s, "TIME")
	return unixRe.ReplaceAllString(s, "UNIXTIME")
}

func TestTrustPolicyInput(t *testing.T) {
	t.Parallel()
	t.Run("a policy that allows the token is reported and STS agrees", func(t *testing.T) {
		t.Parallel()
		sb := start(t, sandbox.Options{})
		st := newStep(t, sb, map[string]string{"trust-policy": "trust.json"})
		if err := os.WriteFile(filepath.Join(st.Dir, "trust.json"), []byte(sandbox.DefaultTrustPolicy), 0o644); err != nil {
			t.Fatal(err)
		}
		r := runStep(t, sb, st)
		r.wantExit(t, 0)
		r.wantLog(t, "allows this token")
		if len(r.log.Warnings) != 0 {
			t.Errorf("unexpected warnings %q", r.log.Warnings)
		}
	})
	t.Run("a policy that denies the token is explained before STS refuses", func(t *testing.T) {
		t.Parallel()
		sb := start(t, sandbox.Options{Claims: map[string]any{"event_name": "pull_request"}})
		st := newStep(t, sb, map[string]string{"trust-policy": "trust.json"})
		if err := os.WriteFile(filepath.Join(st.Dir, "trust.json"), []byte(sandbox.DefaultTrustPolicy), 0o644); err != nil {
			t.Fatal(err)
		}
		r := runStep(t, sb, st)
		r.wantExit(t, 1)
		r.wantLog(t, "DENIES this token", "repo:octo-org/octo-repo:pull_request", "AccessDenied")
	})
	t.Run("the report checks sts:RoleSessionName against role-session-name", func(t *testing.T) {
		t.Parallel()
		sb := start(t, sandbox.Options{})
		st := newStep(t, sb, map[string]string{"trust-policy": "trust.json", "role-session-name": "deploy-42"})
		withSession := strings.Replace(sandbox.DefaultTrustPolicy, `"token.actions.githubusercontent.com:aud"`, `"sts:RoleSessionName": "deploy-42", "token.actions.githubusercontent.com:aud"`, 1)
		if err := os.WriteFile(filepath.Join(st.Dir, "trust.json"), []byte(withSession), 0o644); err != nil {
			t.Fatal(err)
		}
		r := runStep(t, sb, st)
		r.wantExit(t, 0)
		r.wantLog(t, "allows this token", `sts:RoleSessionName`)
	})
	t.Run("a policy that lets any repository in is flagged even when it works", func(t *testing.T) {
		t.Parallel()
		anyRepo := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
			`"Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},` +
			`"Action":"sts:AssumeRoleWithWebIdentity",` +
			`"Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}]}`
		sb := start(t, sandbox.Options{TrustPolicy: anyRepo})
		st := newStep(t, sb, map[string]string{"trust-policy": "trust.json"})
		if err := os.WriteFile(filepath.Join(st.Dir, "trust.json"), []byte(anyRepo), 0o644); err != nil {
			t.Fatal(err)
		}
		r := runStep(t, sb, st)
		r.wantExit(t, 0)
		if w := strings.Join(r.log.Warnings, "\n"); !strings.Contains(w, "OIDC001") {
			t.Errorf("warnings %q, want the no-subject finding OIDC001", r.log.Warnings)
		}
	})
	t.Run("a file that differs from the role's real policy is called out", func(t *testing.T) {
		t.Parallel()
		sb := start(t, sandbox.Options{})
		st := newStep(t, sb, map[string]string{"trust-policy": "trust.json"})
		wrong := strings.Replace(sandbox.DefaultTrustPolicy, "refs/heads/main", "refs/heads/release", 1)
		if err := os.WriteFile(filepath.Join(st.Dir, "trust.json"), []byte(wrong), 0o644); err != nil {
			t.Fatal(err)
		}
		r := runStep(t, sb, st)
		r.wantExit(t, 0)
		if len(r.log.Warnings) == 0 || !strings.Contains(strings.Join(r.log.Warnings, "\n"), "may not be the role's real trust policy") {
			t.Errorf("warnings %q, want one saying the file may not be the real policy", r.log.Warnings)
		}
	})
}

func TestActionGuardsTheRunner(t *testing.T) {
	t.Parallel()
	t.Run("hostile claims cannot start workflow commands or set variables", func(t *testing.T) {
		t.Parallel()
		evil := "prod\n::set-env name=EVIL::1\n::warning::pwned\r\n##[error]x"
		r := runAction(t, sandbox.Options{Claims: map[string]any{"environment": evil, "actor": "::add-mask::x\nEVIL=1"}}, map[string]string{"debug-claims": "true", "role-to-assume": ""})
		r.wantExit(t, 0)
		if n := r.log.Commands["set-env"] + r.log.Commands["warning"]; n != 0 {
			t.Errorf("claims started %d workflow commands\n%s", n, r.run.Stdout)
		}
		for _, l := range strings.Split(string(r.run.Stdout), "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "##[") {
				t.Errorf("line starts an old-style command: %q", l)
			}
		}
		if _, ok := r.res.Env["EVIL"]; ok {
			t.Error("a claim defined a variable")
		}
		if strings.Contains(r.res.Summary, "\n::") {
			t.Error("a claim broke out of its summary cell")
		}
	})

	t.Run("credentials with a line break from a hostile STS are never exported", func(t *testing.T) {
		t.Parallel()
		sb := start(t, sandbox.Options{})
		hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/xml")
			fmt.Fprint(w, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>`+
				`<AssumedRoleUser><AssumedRoleId>AROA:x</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/deploy/x</Arn></AssumedRoleUser>`+
				`<Credentials><AccessKeyId>ASIAEVIL&#10;INJECTED=1&#10;_GitHubActionsFileCommandDelimeter_</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials>`+
				`</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`)
		}))
		defer hostile.Close()
		st := newStep(t, sb, map[string]string{"sts-endpoint": hostile.URL, "retry-max-attempts": "1"})
		r := runStep(t, sb, st)
		r.wantExit(t, 1)
		if _, ok := r.res.Env["INJECTED"]; ok {
			t.Fatal("the hostile answer injected a variable")
		}
		if _, ok := r.res.Env["AWS_ACCESS_KEY_ID"]; ok {
			t.Error("a hostile access key was exported")
		}
		if strings.Contains(r.log.Text(), "INJECTED") {
			t.Error("the hostile value was echoed to the log")
		}
	})

	t.Run("a role outside allowed-account-ids fails validation before any token is minted", func(t *testing.T) {
		t.Parallel()
		r := runAction(t, sandbox.Options{}, map[string]string{"allowed-account-ids": "111111111111\n222222222222\n"})
		r.wantExit(t, 1)
		if len(r.log.Errors) != 1 || !strings.Contains(r.log.Errors[0], `input "role-to-assume"`) || !strings.Contains(r.log.Errors[0], "not in allowed-account-ids") {
			t.Errorf("errors %q, want one validation error naming role-to-assume", r.log.Errors)
		}
		if n := r.sb.Issuer.Minted(); n != 0 {
			t.Errorf("%d tokens minted", n)
		}
		if n := r.sb.STS.Stats().Requests; n != 0 {
			t.Errorf("STS got %d requests", n)
		}
		if _, ok := r.res.Env["AWS_ACCESS_KEY_ID"]; ok {
			t.Error("credentials exported")
		}
	})

	// The check after STS stays: a role ARN that names no account, and a
	// server that answers for another account than the role names.
	for _, c := range []struct{ name, role, answered string }{
		{"a role naming no account, answered for a foreign one", "arn:minio:iam:::role/ci", "arn:aws:sts::999999999999:assumed-role/ci/s"},
		{"a role naming no account, answered with no ARN", "arn:minio:iam:::role/ci", ""},
		{"an allowed role answered for a foreign account", sandbox.RoleARN, "arn:aws:sts::999999999999:assumed-role/deploy/s"},
	} {
		t.Run("credentials outside allowed-account-ids are never exported: "+c.name, func(t *testing.T) {
			t.Parallel()
			sb := start(t, sandbox.Options{})
			odd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/xml")
				fmt.Fprint(w, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>`+
					`<AssumedRoleUser><Arn>`+c.answered+`</Arn><AssumeRoleId>AROAEXAMPLE:s</AssumeRoleId></AssumedRoleUser>`+
					`<Credentials><AccessKeyId>ASIAODDKEY1234567890</AccessKeyId><SecretAccessKey>`+oddSecret+`</SecretAccessKey><SessionToken>`+oddToken+`</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials>`+
					`</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`)
			}))
			defer odd.Close()
			st := newStep(t, sb, map[string]string{"sts-endpoint": odd.URL, "role-to-assume": c.role, "allowed-account-ids": sandbox.Account})
			r := runStep(t, sb, st)
			r.wantExit(t, 1)
			r.wantLog(t, "not in allowed-account-ids")
			for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
				if _, ok := r.res.Env[k]; ok {
					t.Errorf("%s exported for a foreign account", k)
				}
			}
			r.secretsNeverVisible(t, oddSecret, oddToken)
		})
	}

	t.Run("an STS-compatible server without a role ARN still works", func(t *testing.T) {
		t.Parallel()
		sb := start(t, sandbox.Options{})
		minio := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := r.ParseForm(); err != nil || r.PostForm.Get("RoleArn") != "arn:minio:iam:::role/ci" {
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "text/xml")
			fmt.Fprint(w, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>`+
				`<AssumedRoleUser><Arn></Arn><AssumeRoleId></AssumeRoleId></AssumedRoleUser>`+
				`<Credentials><AccessKeyId>MINIOKEY1234567890AB</AccessKeyId><SecretAccessKey>mX+fTXtRb0GEqH3V2XJb2oDg4Zs1NXRdlVa/Qk3T</SecretAccessKey><SessionToken>`+minioJWT+`</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials>`+
				`</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`)
		}))
		defer minio.Close()
		st := newStep(t, sb, map[string]string{"sts-endpoint": minio.URL, "role-to-assume": "arn:minio:iam:::role/ci"})
		r := runStep(t, sb, st)
		r.wantExit(t, 0)
		if r.res.Env["AWS_ACCESS_KEY_ID"] != "MINIOKEY1234567890AB" {
			t.Errorf("AWS_ACCESS_KEY_ID = %q", r.res.Env["AWS_ACCESS_KEY_ID"])
		}
		if v, ok := r.res.Outputs["aws-account-id"]; !ok || v != "" {
			t.Errorf("aws-account-id = %q (set %v), want set and empty", v, ok)
		}
	})
}

func TestActionRecovers(t *testing.T) {
	t.Parallel()
	t.Run("STS throttling is retried", func(t *testing.T) {
		t.Parallel()
		sb := start(t, sandbox.Options{})
		sb.STS.Inject(localsts.Fault{Kind: localsts.FaultThrottling, Times: 1})
		r := runStep(t, sb, newStep(t, sb, nil))
		r.wantExit(t, 0)
		if n := sb.STS.Stats().Requests; n != 2 {
			t.Errorf("STS got %d requests, want 2", n)
		}
	})
	t.Run("an expired token is replaced by a fresh one", func(t *testing.T) {
		t.Parallel()
		sb := start(t, sandbox.Options{})
		sb.STS.Inject(localsts.Fault{Action: "AssumeRoleWithWebIdentity", Kind: localsts.FaultExpiredToken, Times: 1})
		r := runStep(t, sb, newStep(t, sb, nil))
		r.wantExit(t, 0)
		if n := sb.Issuer.Stats().Minted; n != 2 {
			t.Errorf("the issuer minted %d tokens, want 2", n)
		}
	})
	t.Run("a token endpoint 5xx is retried", func(t *testing.T) {
		t.Parallel()
		sb := start(t, sandbox.Options{})
		sb.Issuer.Inject(localgh.Fault{Kind: localgh.FaultStatus, Status: 503, Times: 2})
		r := runStep(t, sb, newStep(t, sb, nil))
		r.wantExit(t, 0)
		if n := sb.Issuer.Stats().Requests; n != 3 {
			t.Errorf("token endpoint got %d requests, want 3", n)
		}
	})
	t.Run("AccessDenied fails after a single attempt", func(t *testing.T) {
		t.Parallel()
		sb := start(t, sandbox.Options{})
		sb.STS.Inject(localsts.Fault{Kind: localsts.FaultAccessDenied})
		r := runStep(t, sb, newStep(t, sb, nil))
		r.wantExit(t, 1)
		if n := sb.STS.Stats().Requests; n != 1 {
			t.Errorf("STS got %d requests, want 1", n)
		}
	})
	t.Run("a hung STS fails with the step's deadline", func(t *testing.T) {
		t.Parallel()
		sb := start(t, sandbox.Options{})
		sb.STS.Inject(localsts.Fault{Kind: localsts.FaultHang})
		r := runStep(t, sb, newStep(t, sb, map[string]string{"action-timeout-s": "2"}))
		r.wantExit(t, 1)
		r.wantLog(t, "deadline")
		if r.run.Duration > 30*time.Second {
			t.Errorf("took %v despite a 2 s deadline", r.run.Duration)
		}
	})
}

func TestAnEndpointFromTheEnvironmentIsCheckedBeforeAnythingIsWritten(t *testing.T) {
	t.Parallel()
	sb := start(t, sandbox.Options{})
	st := newStep(t, sb, nil)
	st.Env["AWS_ENDPOINT_URL_STS"] = "sts.example.com" // no scheme
	r := runStep(t, sb, st)
	r.wantExit(t, 1)
	if len(r.log.Errors) != 1 || !strings.Contains(r.log.Errors[0], "AWS_ENDPOINT_URL_STS") || !strings.Contains(r.log.Errors[0], "validation failed") {
		t.Errorf("errors %q, want one validation error naming AWS_ENDPOINT_URL_STS", r.log.Errors)
	}
	if len(r.res.Env) != 0 {
		t.Errorf("GITHUB_ENV written: %v", r.res.Env)
	}
	if sb.Issuer.Stats().Requests != 0 {
		t.Error("a token was requested")
	}
}

// TestOutsideARunnerTheLogIsPlainText: run by hand (GITHUB_ACTIONS not
// "true"), the binary prints what a person can read: no workflow commands,
// no %0A, and no ::add-mask:: line that would print the secret it names.
func TestOutsideARunnerTheLogIsPlainText(t *testing.T) {
	t.Parallel()
	plain := func(t *testing.T, with map[string]string) *result {
		t.Helper()
		sb := start(t, sandbox.Options{})
		st := newStep(t, sb, with)
		delete(st.Env, "GITHUB_ACTIONS")
		return runStep(t, sb, st)
	}
	noCommands := func(t *testing.T, r *result) {
		t.Helper()
		out := string(r.run.Stdout)
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "::") || strings.Contains(line, "%0A") {
				t.Errorf("line %q is runner encoding", line)
			}
		}
		if len(r.log.Commands) != 0 {
			t.Errorf("commands %v in a plain log", r.log.Commands)
		}
	}
	t.Run("invalid inputs", func(t *testing.T) {
		t.Parallel()
		r := plain(t, map[string]string{"role-to-assume": "deploy", "aws-region": "US\n::error::x"})
		r.wantExit(t, 1)
		noCommands(t, r)
		want := "Error: validation failed: 2 inputs are invalid:\n" +
			`  - input "role-to-assume": "deploy" is not a role ARN`
		if !strings.HasPrefix(string(r.run.Stdout), want) {
			t.Errorf("stdout does not start %q:\n%s", want, r.run.Stdout)
		}
	})
	t.Run("a refusal with its diagnosis and fix", func(t *testing.T) {
		t.Parallel()
		r := plain(t, map[string]string{"role-to-assume": "arn:aws:iam::" + sandbox.Account + ":role/not-there"})
		r.wantExit(t, 1)
		noCommands(t, r)
		r.wantLog(t, "▸ Why STS refused: diagnosis", "\nError: STS call failed: AssumeRoleWithWebIdentity: AccessDenied", "\nFix: the role's trust policy")
		r.secretsNeverVisible(t)
	})
	t.Run("a success exports credentials and prints no secret", func(t *testing.T) {
		t.Parallel()
		r := plain(t, nil)
		r.wantExit(t, 0)
		noCommands(t, r)
		if r.res.Env["AWS_SECRET_ACCESS_KEY"] == "" {
			t.Fatal("no credentials exported")
		}
		for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
			if strings.Contains(string(r.run.Stdout), r.res.Env[k]) {
				t.Errorf("%s is in stdout", k)
			}
		}
		if jwtRe.Match(r.run.Stdout) {
			t.Error("a JWT is in stdout")
		}
	})
}

// Credentials shaped as STS shapes them (a 40-character secret, a session
// token of hundreds of characters), so that only what a test is about is
// wrong with an answer.
var (
	oddSecret = "oddsecret" + strings.Repeat("S", 31)
	oddToken  = "oddtoken" + strings.Repeat("T", 300)
	// minioJWT is shaped as MinIO's session tokens: an HS512 JWT.
	minioJWT = "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJhY2Nlc3NLZXkiOiJNSU5JT0tFWTEyMzQ1Njc4OTBBQiIsImV4cCI6MTg5MzQ1NjAwMH0." + strings.Repeat("Xy-_", 21) + "Ab"
)
