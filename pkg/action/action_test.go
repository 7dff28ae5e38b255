package action

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/internal/localgh"
	"github.com/org/oidc-aws-action/pkg/internal/localsts"
	"github.com/org/oidc-aws-action/pkg/internal/runnersim"
	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
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

// A runner whose clock is wrong gets ExpiredTokenException for every
// token: one fresh token shows that, and the rest of retry-max-attempts
// would only mint tokens STS refuses in the same way.
func TestPersistentlyExpiredTokenIsRefreshedOnlyOnce(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	sb.STS.Inject(localsts.Fault{Action: "AssumeRoleWithWebIdentity", Kind: localsts.FaultExpiredToken})
	r := runInProcess(t, sb, nil)
	if r.code != ExitFailed {
		t.Fatalf("exit %d, want %d\n%s", r.code, ExitFailed, r.log.Text())
	}
	if got := sb.Issuer.Stats().Minted; got != 2 {
		t.Errorf("minted %d tokens, want 2 (the first, then one fresh one)", got)
	}
	if !strings.Contains(r.log.Text(), "runner's clock") {
		t.Errorf("the failure does not point at the clock:\n%s", r.log.Text())
	}
}

// AWS's answer to InvalidIdentityToken is to get a new token and retry:
// one fresh token, then the failure, as for an expired one.
func TestInvalidIdentityTokenIsRetriedWithOneFreshToken(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		times    int // 0: every request
		wantExit int
	}{
		{"once: the fresh token passes", 1, ExitOK},
		{"persistent: one fresh token, then the failure", 0, ExitFailed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sb := startSandbox(t)
			sb.STS.Inject(localsts.Fault{Action: "AssumeRoleWithWebIdentity", Kind: localsts.FaultInvalidIdentityToken, Times: c.times})
			r := runInProcess(t, sb, nil)
			if r.code != c.wantExit {
				t.Fatalf("exit %d, want %d\n%s", r.code, c.wantExit, r.log.Text())
			}
			if got := sb.Issuer.Stats().Minted; got != 2 {
				t.Errorf("minted %d tokens, want 2 (the first, then one fresh one)", got)
			}
			if got := sb.STS.Stats().Requests; got != 2 {
				t.Errorf("STS got %d requests, want 2", got)
			}
		})
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
			st := chainStep(t, sb, nil)
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

// chainStep runs a first step for the sandbox's role, then prepares a
// role-chaining step (by default into the same role) that inherits its
// exports, as the runner passes GITHUB_ENV on.
func chainStep(t *testing.T, sb *sandbox.Sandbox, with map[string]string) *sandbox.Step {
	t.Helper()
	first := runInProcess(t, sb, nil)
	if first.code != ExitOK {
		t.Fatalf("first step: exit %d\n%s", first.code, first.log.Text())
	}
	all := map[string]string{"role-chaining": "true", "role-session-name": "second"}
	maps.Copy(all, with)
	st, err := sb.NewStep(t.TempDir(), all)
	if err != nil {
		t.Fatal(err)
	}
	maps.Copy(st.Env, first.env)
	return st
}

func TestRoleChainingSessionTags(t *testing.T) {
	t.Parallel()
	const target = "arn:aws:iam::" + sandbox.Account + ":role/audit"
	long := strings.Repeat("x", 300)
	cases := []struct {
		name     string
		role     localsts.Role
		with     map[string]string
		env      map[string]string
		wantExit int
		// wantKeys are the tag keys of each AssumeRole request, in order.
		wantKeys   [][]string
		transitive []string
		wantLog    string
	}{
		{
			name:     "the job's metadata is sent as tags by default",
			wantExit: ExitOK,
			wantKeys: [][]string{{"GitHub", "Repository", "Workflow", "Action", "Actor", "Commit", "Branch", "EventName", "RunId", "Job", "TriggeringActor"}},
			wantLog:  "Session tags: GitHub, Repository,",
		},
		{
			name:       "custom and transitive tags are added",
			with:       map[string]string{"custom-tags": `{"Team": "payments"}`, "transitive-tag-keys": "team\nRepository\nBaseRef"},
			wantExit:   ExitOK,
			wantKeys:   [][]string{{"GitHub", "Repository", "Workflow", "Action", "Actor", "Commit", "Branch", "EventName", "RunId", "Job", "TriggeringActor", "Team"}},
			transitive: []string{"Team", "Repository"},
		},
		{
			name:     "role-skip-session-tagging sends none",
			with:     map[string]string{"role-skip-session-tagging": "true"},
			wantExit: ExitOK,
			wantKeys: [][]string{nil},
		},
		{
			name:     "a role that does not allow sts:TagSession fails with the way out",
			role:     localsts.Role{RefuseSessionTags: true},
			wantExit: ExitFailed,
			wantKeys: [][]string{{"GitHub", "Repository", "Workflow", "Action", "Actor", "Commit", "Branch", "EventName", "RunId", "Job", "TriggeringActor"}},
			wantLog:  "set role-skip-session-tagging: true",
		},
		{
			name: "tags too large are sent again without the droppable ones",
			env: map[string]string{"GITHUB_BASE_REF": long, "GITHUB_HEAD_REF": long, "GITHUB_EVENT_NAME": long, "GITHUB_JOB": long,
				"GITHUB_TRIGGERING_ACTOR": long, "GITHUB_RUN_ID": long, "GITHUB_WORKFLOW": long, "GITHUB_REF": long},
			wantExit: ExitOK,
			wantKeys: [][]string{
				{"GitHub", "Repository", "Workflow", "Action", "Actor", "Commit", "Branch", "EventName", "BaseRef", "HeadRef", "RunId", "Job", "TriggeringActor"},
				{"GitHub", "Repository", "Workflow", "Action", "Actor", "Commit", "Branch"},
			},
			wantLog: "retrying with only: GitHub, Repository, Workflow, Action, Actor, Commit, Branch",
		},
		{
			name:     "too large without them too fails once more, then stops",
			with:     map[string]string{"custom-tags": `{"A": "` + long[:256] + `", "B": "` + long[:256] + `"}`},
			env:      map[string]string{"GITHUB_RUN_ID": long, "GITHUB_WORKFLOW": long, "GITHUB_REF": long, "GITHUB_ACTION": long, "GITHUB_ACTOR": long, "GITHUB_REPOSITORY": long, "GITHUB_SHA": long, "GITHUB_JOB": long},
			wantExit: ExitFailed,
			wantKeys: [][]string{
				{"GitHub", "Repository", "Workflow", "Action", "Actor", "Commit", "Branch", "EventName", "RunId", "Job", "TriggeringActor", "A", "B"},
				{"GitHub", "Repository", "Workflow", "Action", "Actor", "Commit", "Branch", "A", "B"},
			},
			wantLog: "or set role-skip-session-tagging: true",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sb := startSandbox(t)
			if err := sb.STS.AddRole(target, c.role); err != nil {
				t.Fatal(err)
			}
			with := map[string]string{"role-to-assume": target}
			maps.Copy(with, c.with)
			st := chainStep(t, sb, with)
			maps.Copy(st.Env, c.env)
			before := len(sb.STS.Requests())
			var out bytes.Buffer
			slept := &sleeps{}
			code := Run(context.Background(), Options{Getenv: st.Getenv, Stdout: &out, Sleep: slept.sleep})
			log := runnersim.ParseLog(out.Bytes())
			if code != c.wantExit {
				t.Fatalf("exit %d, want %d\n%s", code, c.wantExit, log.Text())
			}
			// Nothing here is transient: a retry without the droppable tags
			// is a smaller request, sent at once.
			if n := slept.count(); n != 0 {
				t.Errorf("slept %d times before retrying", n)
			}
			reqs := sb.STS.Requests()[before:]
			if len(reqs) != len(c.wantKeys) {
				t.Fatalf("%d AssumeRole requests, want %d", len(reqs), len(c.wantKeys))
			}
			for i, rec := range reqs {
				var keys []string
				for _, tag := range rec.Tags {
					keys = append(keys, tag.Key)
					if tag.Key == "Repository" && tag.Value != st.Env["GITHUB_REPOSITORY"] && len(tag.Value) != 256 {
						t.Errorf("Repository tag %q, want GITHUB_REPOSITORY %q", tag.Value, st.Env["GITHUB_REPOSITORY"])
					}
				}
				if !slices.Equal(keys, c.wantKeys[i]) {
					t.Errorf("request %d tag keys\n%q\nwant\n%q", i+1, keys, c.wantKeys[i])
				}
			}
			if !slices.Equal(reqs[0].TransitiveTagKeys, c.transitive) {
				t.Errorf("transitive keys %q, want %q", reqs[0].TransitiveTagKeys, c.transitive)
			}
			if !strings.Contains(log.Text(), c.wantLog) {
				t.Errorf("log does not contain %q:\n%s", c.wantLog, log.Text())
			}
		})
	}
}

func TestConfigureAWSCredentialsStaticKeysFailBeforeAnyNetworkCall(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	o := runInProcess(t, sb, map[string]string{"aws-access-key-id": "AKIAIOSFODNN7EXAMPLE", "aws-secret-access-key": secret})
	if o.code != ExitFailed {
		t.Fatalf("exit %d, want failure", o.code)
	}
	if sb.Issuer.Stats().Minted != 0 || sb.STS.Stats().Requests != 0 {
		t.Error("the run reached the network")
	}
	text := o.log.Text()
	for _, want := range []string{`input "aws-access-key-id"`, `input "aws-secret-access-key"`, "id-token: write"} {
		if !strings.Contains(text, want) {
			t.Errorf("log lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, secret) || strings.Contains(text, "AKIAIOSFODNN7EXAMPLE") {
		t.Error("the log shows a static key")
	}
}

func TestIgnoredConfigureAWSCredentialsInputsWarn(t *testing.T) {
	t.Parallel()
	o := runInProcess(t, startSandbox(t), map[string]string{"special-characters-workaround": "true"})
	if o.code != ExitOK {
		t.Fatalf("exit %d\n%s", o.code, o.log.Text())
	}
	if len(o.log.Warnings) != 1 || !strings.Contains(o.log.Warnings[0], `input "special-characters-workaround"`) {
		t.Errorf("warnings %q, want one about special-characters-workaround", o.log.Warnings)
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

// TestDiagnosisNamesTheProviderInTheRolesPartition: a role in aws-us-gov or
// aws-cn trusts a provider in its own partition, so the advice must name
// that provider's ARN, not the aws one.
func TestDiagnosisNamesTheProviderInTheRolesPartition(t *testing.T) {
	t.Parallel()
	for _, partition := range []string{"aws", "aws-us-gov", "aws-cn"} {
		t.Run(partition, func(t *testing.T) {
			t.Parallel()
			sb := startSandbox(t)
			r := runInProcess(t, sb, map[string]string{"role-to-assume": "arn:" + partition + ":iam::" + sandbox.Account + ":role/not-there"})
			if r.code != ExitFailed {
				t.Fatalf("exit %d, want a refusal\n%s", r.code, r.log.Text())
			}
			want := "(provider arn:" + partition + ":iam::" + sandbox.Account + ":oidc-provider/"
			if !strings.Contains(r.log.Text(), want) {
				t.Errorf("the diagnosis lacks %q:\n%s", want, r.log.Text())
			}
		})
	}
}

// TestEveryFailureSaysStageWhatAndFixOnce: one error annotation per failed
// run, which names its stage once, says "failed" once, and gives the fix
// once, on its own line after "Fix:".
func TestEveryFailureSaysStageWhatAndFixOnce(t *testing.T) {
	t.Parallel()
	policyFile := func(text string) string {
		p := filepath.Join(t.TempDir(), "trust.json")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unparsable := policyFile(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": 7}]}`)
	uncompilable := policyFile(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "x"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringLikeish": {"a": "b"}}}]}`)
	cases := []struct {
		name      string
		with      map[string]string
		unset     []string
		fault     localsts.FaultKind
		wantStart string
		wantFix   string // "" for none
	}{
		{"an invalid input", map[string]string{"aws-region": "US"}, nil, 0,
			`validation failed: input "aws-region"`, ""},
		{"a trust-policy file that does not parse", map[string]string{"trust-policy": unparsable}, nil, 0,
			`validation failed: input "trust-policy"`, ""},
		{"a trust-policy file IAM would reject", map[string]string{"trust-policy": uncompilable}, nil, 0,
			`validation failed: input "trust-policy"`, ""},
		{"role chaining without credentials", map[string]string{"role-chaining": "true"}, []string{"AWS_ACCESS_KEY_ID"}, 0,
			`validation failed: input "role-chaining"`, "run this action once without role-chaining"},
		{"a job without id-token permission", nil, []string{"ACTIONS_ID_TOKEN_REQUEST_URL"}, 0,
			"token request failed: the runner offers no OIDC token", "permissions: id-token: write"},
		{"a missing token file", map[string]string{"web-identity-token-file": "/nonexistent/token"}, nil, 0,
			`token request failed: input "web-identity-token-file": "/nonexistent/token": no such file`, "check web-identity-token-file"},
		{"a role STS refuses", map[string]string{"role-to-assume": "arn:aws:iam::" + sandbox.Account + ":role/not-there"}, nil, 0,
			"STS call failed: AssumeRoleWithWebIdentity: AccessDenied", "token.actions.githubusercontent.com:sub"},
		{"throttling past the last attempt", map[string]string{"retry-max-attempts": "1"}, nil, localsts.FaultThrottling,
			"STS call failed: AssumeRoleWithWebIdentity: Throttling", "throttling"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sb := startSandbox(t)
			if c.fault != 0 {
				sb.STS.Inject(localsts.Fault{Kind: c.fault})
			}
			st, err := sb.NewStep(t.TempDir(), c.with)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range c.unset {
				delete(st.Env, k)
			}
			var out bytes.Buffer
			if code := Run(context.Background(), Options{Getenv: st.Getenv, Stdout: &out, Sleep: (&sleeps{}).sleep}); code != ExitFailed {
				t.Fatalf("exit %d", code)
			}
			log := runnersim.ParseLog(out.Bytes())
			if len(log.Errors) != 1 {
				t.Fatalf("errors %q, want one", log.Errors)
			}
			msg := log.Errors[0]
			if !strings.HasPrefix(msg, c.wantStart) {
				t.Errorf("error %q does not start %q", msg, c.wantStart)
			}
			if n := strings.Count(strings.ToLower(msg), "failed"); n != 1 {
				t.Errorf("error %q says failed %d times", msg, n)
			}
			if n := strings.Count(msg, "Fix:"); c.wantFix == "" && n != 0 || c.wantFix != "" && n != 1 {
				t.Errorf("error %q has %d fixes", msg, n)
			}
			if c.wantFix != "" && !strings.Contains(msg, "\nFix: ") {
				t.Errorf("error %q does not give the fix on its own line", msg)
			}
			if _, fix, _ := strings.Cut(msg, "Fix:"); !strings.Contains(fix, c.wantFix) {
				t.Errorf("error %q: the fix does not say %q", msg, c.wantFix)
			}
			if strings.Contains(log.Text(), "likely fix:") {
				t.Error("the fix is printed twice: in the log and in the error")
			}
		})
	}
}
