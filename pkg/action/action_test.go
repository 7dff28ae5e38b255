package action

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/localgh"
	"github.com/org/oidc-aws-action/pkg/localsts"
	"github.com/org/oidc-aws-action/pkg/runnersim"
	"github.com/org/oidc-aws-action/pkg/sandbox"
)

// sleeps records the waits the retry loops asked for, without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.d)
}

type outcome struct {
	code   int
	log    *runnersim.Log
	sleeps *sleeps
	sb     *sandbox.Sandbox
	env    map[string]string
}

func runInProcess(t *testing.T, sb *sandbox.Sandbox, with map[string]string) *outcome {
	t.Helper()
	st, err := sb.NewStep(t.TempDir(), with)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s := &sleeps{}
	code := Run(context.Background(), Options{Getenv: st.Getenv, Stdout: &out, Sleep: s.sleep})
	res, err := st.Read()
	if err != nil {
		t.Fatal(err)
	}
	return &outcome{code: code, log: runnersim.ParseLog(out.Bytes()), sleeps: s, sb: sb, env: res.Env}
}

func startSandbox(t *testing.T) *sandbox.Sandbox {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	return sb
}

// TestSTSRetryDecisions checks which STS failures are retried, how often,
// and that the rest fail after one attempt.
func TestSTSRetryDecisions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		fault        localsts.FaultKind
		times        int // 0: every request
		with         map[string]string
		wantExit     int
		wantRequests int64
		wantSleeps   int
		wantLog      string
	}{
		{"throttling is retried until it passes", localsts.FaultThrottling, 2, nil, ExitOK, 3, 2, ""},
		{"a 500 is retried", localsts.FaultHTTP500, 1, nil, ExitOK, 2, 1, ""},
		{"a 503 is retried", localsts.FaultHTTP503, 1, nil, ExitOK, 2, 1, ""},
		{"IDPCommunicationError is retried", localsts.FaultIDPCommunicationError, 1, nil, ExitOK, 2, 1, ""},
		{"a dropped connection is retried", localsts.FaultDropConnection, 1, nil, ExitOK, 2, 1, ""},
		{"truncated XML is retried", localsts.FaultTruncatedXML, 1, nil, ExitOK, 2, 1, ""},
		{"a body cut short is retried", localsts.FaultShortBody, 1, nil, ExitOK, 2, 1, ""},
		{"InvalidIdentityToken once is retried once", localsts.FaultInvalidIdentityToken, 1, nil, ExitOK, 2, 1, ""},
		{"InvalidIdentityToken twice fails after two attempts", localsts.FaultInvalidIdentityToken, 0, nil, ExitFailed, 2, 1, "InvalidIdentityToken"},
		{"AccessDenied fails after one attempt", localsts.FaultAccessDenied, 0, nil, ExitFailed, 1, 0, "AccessDenied"},
		{"RegionDisabledException fails after one attempt", localsts.FaultRegionDisabled, 0, nil, ExitFailed, 1, 0, "RegionDisabledException"},
		{"an oversized answer fails without retrying", localsts.FaultOversizedXML, 0, nil, ExitFailed, 1, 0, "STS call failed"},
		{"persistent throttling stops at retry-max-attempts", localsts.FaultThrottling, 0, map[string]string{"retry-max-attempts": "3"}, ExitFailed, 3, 2, "attempts:   3"},
		{"disable-retry makes a single attempt", localsts.FaultHTTP500, 1, map[string]string{"disable-retry": "true"}, ExitFailed, 1, 0, "InternalFailure"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sb := startSandbox(t)
			sb.STS.Inject(localsts.Fault{Kind: c.fault, Times: c.times})
			r := runInProcess(t, sb, c.with)
			if r.code != c.wantExit {
				t.Fatalf("exit %d, want %d\n%s", r.code, c.wantExit, r.log.Text())
			}
			if got := sb.STS.Stats().Requests; got != c.wantRequests {
				t.Errorf("STS got %d requests, want %d", got, c.wantRequests)
			}
			if got := r.sleeps.count(); got != c.wantSleeps {
				t.Errorf("waited %d times, want %d", got, c.wantSleeps)
			}
			if c.wantLog != "" && !strings.Contains(r.log.Text(), c.wantLog) {
				t.Errorf("log lacks %q:\n%s", c.wantLog, r.log.Text())
			}
			_, exported := r.env["AWS_SECRET_ACCESS_KEY"]
			if exported != (c.wantExit == ExitOK) {
				t.Errorf("credentials exported = %v with exit %d", exported, r.code)
			}
		})
	}
}

func TestExpiredTokenIsRefreshedOnce(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	sb.STS.Inject(localsts.Fault{Action: "AssumeRoleWithWebIdentity", Kind: localsts.FaultExpiredToken, Times: 1})
	r := runInProcess(t, sb, nil)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.log.Text())
	}
	if got := sb.Issuer.Stats().Minted; got != 2 {
		t.Errorf("minted %d tokens, want 2 (the first, then a fresh one)", got)
	}
}

func TestTokenAboutToExpireIsReplacedBeforeSTS(t *testing.T) {
	t.Parallel()
	sb, err := sandbox.Start(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	st, err := sb.NewStep(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	// A clock 6 minutes ahead sees every freshly minted token (5 min
	// lifetime) as expiring: the action refetches once per attempt and STS
	// still gets called.
	code := Run(context.Background(), Options{Getenv: st.Getenv, Stdout: &out, Now: func() time.Time { return time.Now().Add(6 * time.Minute) }})
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
	if got := sb.Issuer.Stats().Minted; got != 2 {
		t.Errorf("minted %d tokens, want 2", got)
	}
}

func TestTokenEndpointRetryDecisions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		fault        localgh.Fault
		wantExit     int
		wantRequests int64
		wantLog      string
	}{
		{"a 503 is retried", localgh.Fault{Kind: localgh.FaultStatus, Status: 503, Times: 2}, ExitOK, 3, ""},
		{"a garbage body is retried", localgh.Fault{Kind: localgh.FaultGarbage, Times: 1}, ExitOK, 2, ""},
		{"an answer without a token is retried", localgh.Fault{Kind: localgh.FaultNoValue, Times: 1}, ExitOK, 2, ""},
		{"a 401 fails at once", localgh.Fault{Kind: localgh.FaultUnauthorized}, ExitFailed, 1, "refused the request token"},
		{"an oversized answer fails at once", localgh.Fault{Kind: localgh.FaultOversized}, ExitFailed, 1, "larger than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sb := startSandbox(t)
			sb.Issuer.Inject(c.fault)
			r := runInProcess(t, sb, nil)
			if r.code != c.wantExit {
				t.Fatalf("exit %d, want %d\n%s", r.code, c.wantExit, r.log.Text())
			}
			if got := sb.Issuer.Stats().Requests; got != c.wantRequests {
				t.Errorf("token endpoint got %d requests, want %d", got, c.wantRequests)
			}
			if c.wantLog != "" && !strings.Contains(r.log.Text(), c.wantLog) {
				t.Errorf("log lacks %q:\n%s", c.wantLog, r.log.Text())
			}
			if c.wantExit != ExitOK && sb.STS.Stats().Requests != 0 {
				t.Error("STS was called without a token")
			}
		})
	}
}

func TestDeadlineEndsTheRunWithAClearMessage(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	sb.STS.Inject(localsts.Fault{Kind: localsts.FaultHang})
	st, err := sb.NewStep(t.TempDir(), map[string]string{"action-timeout-s": "1"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code := Run(context.Background(), Options{Getenv: st.Getenv, Stdout: &out})
	log := runnersim.ParseLog(out.Bytes())
	if code != ExitFailed {
		t.Fatalf("exit %d", code)
	}
	if len(log.Errors) != 1 || !strings.Contains(log.Errors[0], "deadline") {
		t.Errorf("errors %q, want one naming the deadline", log.Errors)
	}
}

func TestOutsideARunnerStepFailsBeforeFetchingAToken(t *testing.T) {
	t.Parallel()
	for _, missing := range []string{"GITHUB_ENV", "GITHUB_OUTPUT"} {
		t.Run("without "+missing, func(t *testing.T) {
			t.Parallel()
			sb := startSandbox(t)
			st, err := sb.NewStep(t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			delete(st.Env, missing)
			var out bytes.Buffer
			if code := Run(context.Background(), Options{Getenv: st.Getenv, Stdout: &out}); code != ExitFailed {
				t.Fatalf("exit %d", code)
			}
			log := runnersim.ParseLog(out.Bytes())
			if len(log.Errors) != 1 || !strings.Contains(log.Errors[0], "validation failed: "+missing+" is not set") {
				t.Errorf("errors %q", log.Errors)
			}
			if n := sb.Issuer.Stats().Requests; n != 0 {
				t.Errorf("%d token requests", n)
			}
		})
	}
}

func TestRoleChainingRetriesOnlyTransientFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		fault        localsts.FaultKind
		wantExit     int
		wantRequests int64
	}{
		{"a 500 is retried", localsts.FaultHTTP500, ExitOK, 2},
		{"throttling is retried", localsts.FaultThrottling, ExitOK, 2},
		{"an expired source session fails at once", localsts.FaultExpiredToken, ExitFailed, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sb := startSandbox(t)
			first := runInProcess(t, sb, nil)
			if first.code != ExitOK {
				t.Fatalf("first step: exit %d\n%s", first.code, first.log.Text())
			}
			st, err := sb.NewStep(t.TempDir(), map[string]string{"role-chaining": "true", "role-session-name": "second"})
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range first.env {
				st.Env[k] = v
			}
			sb.STS.Inject(localsts.Fault{Action: "AssumeRole", Kind: c.fault, Times: 1})
			before := sb.STS.Stats().Requests
			var out bytes.Buffer
			s := &sleeps{}
			code := Run(context.Background(), Options{Getenv: st.Getenv, Stdout: &out, Sleep: s.sleep})
			if code != c.wantExit {
				t.Fatalf("exit %d, want %d\n%s", code, c.wantExit, out.String())
			}
			if got := sb.STS.Stats().Requests - before; got != c.wantRequests {
				t.Errorf("AssumeRole requests %d, want %d", got, c.wantRequests)
			}
			if got := sb.Issuer.Stats().Minted; got != 1 {
				t.Errorf("minted %d tokens; chaining must not ask for one", got)
			}
		})
	}
}

func TestAnOversizedTrustPolicyFileIsAnInputError(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	dir := t.TempDir()
	st, err := sb.NewStep(dir, map[string]string{"trust-policy": "huge.json"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "huge.json"), bytes.Repeat([]byte(" "), maxPolicyFileBytes+1), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if code := Run(context.Background(), Options{Getenv: st.Getenv, Stdout: &out}); code != ExitFailed {
		t.Fatalf("exit %d", code)
	}
	log := runnersim.ParseLog(out.Bytes())
	if len(log.Errors) != 1 || !strings.Contains(log.Errors[0], `validation failed: input "trust-policy"`) || !strings.Contains(log.Errors[0], "larger than") {
		t.Errorf("errors %q", log.Errors)
	}
	if sb.Issuer.Stats().Requests != 0 {
		t.Error("a token was requested")
	}
}
