package reliability

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/action"
	"github.com/org/oidc-aws-action/pkg/internal/localgh"
	"github.com/org/oidc-aws-action/pkg/internal/localsts"
	"github.com/org/oidc-aws-action/pkg/internal/runnersim"
	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
)

// faultCase is one row of the fault matrix: a fault, the inputs the run
// gets, and what a user must see.
type faultCase struct {
	name   string
	inject func(sb *sandbox.Sandbox)
	// setup, if set, prepares what a case needs beyond a server fault (a
	// FIFO, a listener) and returns inputs to add; it may register checks
	// with t.Cleanup.
	setup func(t *testing.T, sb *sandbox.Sandbox) map[string]string
	opts  sandbox.Options
	with  map[string]string
	// expect is the promised behaviour, for the report.
	expect  string
	succeed bool
	// say are fragments the run's error annotation must contain
	// (case-insensitively) on failure; show, fragments of the visible log.
	say, show []string
	// stsRequests and minted are exact counts the servers must have seen;
	// -1 skips the check.
	stsRequests, minted int
	// within is a generous upper bound on the run: it catches a retry
	// loop that does not stop or a deadline that is not kept, not speed.
	within time.Duration
	// maxRSSKiB bounds the process's peak memory; 0 skips the check.
	maxRSSKiB int64
}

// Generous bounds. A fast failure makes no retry; a recovery waits at most
// the sum of the backoff windows it used (1 s, 2 s, … with the default
// backoff); a deadline case must end soon after its 1 s deadline.
const (
	fastFailure  = 5 * time.Second
	recovery     = 15 * time.Second
	deadlineKept = 5 * time.Second
)

const mainSubject = `"repo:octo-org/octo-repo:ref:refs/heads/main"`

func faultCases() []faultCase {
	issuer := func(f localgh.Fault) func(*sandbox.Sandbox) {
		return func(sb *sandbox.Sandbox) { sb.Issuer.Inject(f) }
	}
	sts := func(fs ...localsts.Fault) func(*sandbox.Sandbox) {
		return func(sb *sandbox.Sandbox) {
			for _, f := range fs {
				sb.STS.Inject(f)
			}
		}
	}
	const web = "AssumeRoleWithWebIdentity"
	return []faultCase{
		{
			name: "no fault", expect: "credentials", succeed: true,
			stsRequests: 1, minted: 1, within: fastFailure,
		},
		{
			name:   "token endpoint 503 twice",
			inject: issuer(localgh.Fault{Kind: localgh.FaultStatus, Status: 503, Times: 2}),
			expect: "recovers", succeed: true, stsRequests: 1, minted: 1, within: recovery,
		},
		{
			name:   "token endpoint 500 persistent",
			inject: issuer(localgh.Fault{Kind: localgh.FaultStatus, Status: 500}),
			with:   map[string]string{"retry-max-attempts": "3"},
			expect: "clear failure after retry-max-attempts", say: []string{"token request", "after 3 attempts", "HTTP 500"},
			stsRequests: 0, minted: 0, within: recovery,
		},
		{
			name:   "token endpoint 401",
			inject: issuer(localgh.Fault{Kind: localgh.FaultUnauthorized}),
			expect: "fast clear failure", say: []string{"token request", "refused the request token", "Fix:"},
			stsRequests: 0, minted: 0, within: fastFailure,
		},
		{
			name:   "token endpoint hangs",
			inject: issuer(localgh.Fault{Kind: localgh.FaultHang}),
			with:   map[string]string{"action-timeout-s": "1"},
			expect: "deadline failure", say: []string{"token request", "deadline"},
			stsRequests: 0, minted: 0, within: deadlineKept,
		},
		{
			name:   "token endpoint garbage once",
			inject: issuer(localgh.Fault{Kind: localgh.FaultGarbage, Times: 1}),
			expect: "recovers", succeed: true, stsRequests: 1, minted: 1, within: recovery,
		},
		{
			name:   "token endpoint garbage persistent",
			inject: issuer(localgh.Fault{Kind: localgh.FaultGarbage}),
			with:   map[string]string{"retry-max-attempts": "3"},
			expect: "clear failure", say: []string{"token request", "not JSON"},
			stsRequests: 0, minted: 0, within: recovery,
		},
		{
			name:   "token endpoint answer without value once",
			inject: issuer(localgh.Fault{Kind: localgh.FaultNoValue, Times: 1}),
			expect: "recovers", succeed: true, stsRequests: 1, minted: 1, within: recovery,
		},
		{
			name:   "token endpoint oversized answer",
			inject: issuer(localgh.Fault{Kind: localgh.FaultOversized, Size: 256 << 20}),
			expect: "clear failure, bounded memory", say: []string{"token request", "larger than"},
			stsRequests: 0, minted: -1, within: fastFailure, maxRSSKiB: 64 << 10,
		},
		{
			name:   "STS 500 then 503",
			inject: sts(localsts.Fault{Kind: localsts.FaultHTTP500, Times: 1}, localsts.Fault{Kind: localsts.FaultHTTP503, Times: 1}),
			expect: "recovers", succeed: true, stsRequests: 3, minted: 1, within: recovery,
		},
		{
			name:   "STS 503 persistent",
			inject: sts(localsts.Fault{Kind: localsts.FaultHTTP503}),
			with:   map[string]string{"retry-max-attempts": "3"},
			expect: "clear failure after retry-max-attempts", say: []string{"ServiceUnavailable", "Fix:"}, show: []string{"attempts:   3"},
			stsRequests: 3, minted: 1, within: recovery,
		},
		{
			name:   "STS Throttling twice",
			inject: sts(localsts.Fault{Action: web, Kind: localsts.FaultThrottling, Times: 2}),
			expect: "recovers", succeed: true, stsRequests: 3, minted: 1, within: recovery,
		},
		{
			name:   "STS IDPCommunicationError once",
			inject: sts(localsts.Fault{Action: web, Kind: localsts.FaultIDPCommunicationError, Times: 1}),
			expect: "recovers", succeed: true, stsRequests: 2, minted: 1, within: recovery,
		},
		{
			name:   "STS InvalidIdentityToken once",
			inject: sts(localsts.Fault{Action: web, Kind: localsts.FaultInvalidIdentityToken, Times: 1}),
			expect: "fresh token, then credentials", succeed: true, stsRequests: 2, minted: 2, within: recovery,
		},
		{
			name:   "STS InvalidIdentityToken persistent",
			inject: sts(localsts.Fault{Action: web, Kind: localsts.FaultInvalidIdentityToken}),
			expect: "one fresh token, then clear failure", say: []string{"InvalidIdentityToken", "Fix:"}, show: []string{"attempts:   2", mainSubject},
			stsRequests: 2, minted: 2, within: recovery,
		},
		{
			name:   "STS ExpiredTokenException once",
			inject: sts(localsts.Fault{Action: web, Kind: localsts.FaultExpiredToken, Times: 1}),
			expect: "fresh token, then credentials", succeed: true, stsRequests: 2, minted: 2, within: recovery,
		},
		{
			name:   "STS ExpiredTokenException persistent",
			inject: sts(localsts.Fault{Action: web, Kind: localsts.FaultExpiredToken}),
			expect: "one fresh token, then clear failure naming the clock", say: []string{"ExpiredTokenException", "runner's clock"}, show: []string{"attempts:   2"},
			stsRequests: 2, minted: 2, within: recovery,
		},
		{
			name:   "STS AccessDenied (injected)",
			inject: sts(localsts.Fault{Action: web, Kind: localsts.FaultAccessDenied}),
			expect: "fast failure with diagnosis", say: []string{"AccessDenied", "Fix:"}, show: []string{":sub = " + mainSubject, "Condition"},
			stsRequests: 1, minted: 1, within: fastFailure,
		},
		{
			name:   "STS AccessDenied (trust policy refuses a pull request)",
			opts:   sandbox.Options{Claims: map[string]any{"event_name": "pull_request", "ref": "refs/pull/7/merge"}},
			expect: "fast failure with diagnosis", say: []string{"AccessDenied", "Fix:"}, show: []string{`:sub = "repo:octo-org/octo-repo:pull_request"`, "pull request"},
			stsRequests: 1, minted: 1, within: fastFailure,
		},
		{
			name:   "STS RegionDisabledException",
			inject: sts(localsts.Fault{Action: web, Kind: localsts.FaultRegionDisabled}),
			expect: "fast clear failure", say: []string{"RegionDisabledException", "Fix:"},
			stsRequests: 1, minted: 1, within: fastFailure,
		},
		{
			name:   "STS drops the connection once",
			inject: sts(localsts.Fault{Action: web, Kind: localsts.FaultDropConnection, Times: 1}),
			expect: "recovers", succeed: true, stsRequests: 2, minted: 1, within: recovery,
		},
		{
			name:   "STS truncated XML once",
			inject: sts(localsts.Fault{Action: web, Kind: localsts.FaultTruncatedXML, Times: 1}),
			expect: "recovers", succeed: true, stsRequests: 2, minted: 1, within: recovery,
		},
		{
			name:   "STS short body once",
			inject: sts(localsts.Fault{Action: web, Kind: localsts.FaultShortBody, Times: 1}),
			expect: "recovers", succeed: true, stsRequests: 2, minted: 1, within: recovery,
		},
		{
			name:   "STS oversized XML",
			inject: sts(localsts.Fault{Action: web, Kind: localsts.FaultOversizedXML, Size: 256 << 20}),
			expect: "clear failure, bounded memory", say: []string{"exceeds", "Fix:"},
			stsRequests: 1, minted: 1, within: fastFailure, maxRSSKiB: 64 << 10,
		},
		{
			name:   "STS answers after the deadline",
			inject: sts(localsts.Fault{Action: web, Kind: localsts.FaultSlowAnswer, Delay: 30 * time.Second}),
			with:   map[string]string{"action-timeout-s": "1"},
			expect: "deadline failure", say: []string{"deadline"},
			stsRequests: 1, minted: 1, within: deadlineKept,
		},
		{
			name:   "STS hangs",
			inject: sts(localsts.Fault{Action: web, Kind: localsts.FaultHang}),
			with:   map[string]string{"action-timeout-s": "1"},
			expect: "deadline failure", say: []string{"deadline"},
			stsRequests: 1, minted: 1, within: deadlineKept,
		},
		{
			name:   "token endpoint redirects to another port",
			setup:  redirectElsewhere,
			expect: "fast clear failure, request token not sent", say: []string{"token request", "redirect", "not followed"},
			stsRequests: 0, minted: 0, within: fastFailure,
		},
		{
			name:   "STS answers shell syntax in the role ARN",
			inject: sts(localsts.Fault{Action: web, Kind: localsts.FaultAnswerValues, Values: map[string]string{"Arn": "arn:aws:sts::" + sandbox.Account + ":assumed-role/deploy/$(id)"}}),
			expect: "fast failure, nothing exported, value withheld", say: []string{"AssumedRoleUser.Arn", "value withheld"},
			stsRequests: 1, minted: 1, within: fastFailure,
		},
		{
			name:   "STS answers shell syntax in the session token",
			inject: sts(localsts.Fault{Action: web, Kind: localsts.FaultAnswerValues, Values: map[string]string{"SessionToken": "IQoJb3JpZ2lu`id`"}}),
			expect: "fast failure, nothing exported, value withheld", say: []string{"Credentials.SessionToken", "value withheld"},
			stsRequests: 1, minted: 1, within: fastFailure,
		},
		{
			name: "STS answers as MinIO does (no ARN, JWT session token)",
			inject: sts(localsts.Fault{Action: web, Kind: localsts.FaultAnswerValues, Values: map[string]string{
				"Arn": "", "AssumedRoleId": "", "AccessKeyId": "Z4OGCWS7Z9H3KSPBE3DD", "SecretAccessKey": "mX+fTXtRb0GEqH3V2XJb2oDg4Zs1NXRdlVa/Qk3T",
				"SessionToken": "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJhY2Nlc3NLZXkiOiJaNE9HQ1dTN1oifQ.3r-vQ_lTx0Nf8a9"}}),
			expect: "credentials", succeed: true, stsRequests: 1, minted: 1, within: fastFailure,
		},
		{
			name:   "trust-policy is a FIFO",
			setup:  inputAt("trust-policy", func(t *testing.T, p string) error { return syscall.Mkfifo(p, 0o644) }),
			expect: "fast clear failure", say: []string{`input "trust-policy"`, "named pipe (FIFO), not a regular file"},
			stsRequests: 0, minted: 0, within: fastFailure,
		},
		{
			name:   "web-identity-token-file is a symlink to /dev/ptmx",
			setup:  inputAt("web-identity-token-file", func(t *testing.T, p string) error { return os.Symlink("/dev/ptmx", p) }),
			expect: "fast clear failure", say: []string{`input "web-identity-token-file"`, "character device, not a regular file"},
			stsRequests: 0, minted: 0, within: fastFailure,
		},
	}
}

// redirectElsewhere makes the token endpoint answer 302 to a listener on
// the same host and another port, and fails the case if the runner's
// request token ever reaches it: Go's client would keep the Authorization
// header there.
func redirectElsewhere(t *testing.T, sb *sandbox.Sandbox) map[string]string {
	var reached atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		http.NotFound(w, r)
	}))
	t.Cleanup(func() {
		elsewhere.Close()
		if n := reached.Load(); n != 0 {
			t.Errorf("the redirect target got %d requests", n)
		}
	})
	sb.Issuer.Inject(localgh.Fault{Kind: localgh.FaultRedirect, Location: elsewhere.URL + "/token"})
	return nil
}

// inputAt makes a path with mk and gives it to the named input.
func inputAt(input string, mk func(t *testing.T, path string) error) func(*testing.T, *sandbox.Sandbox) map[string]string {
	return func(t *testing.T, _ *sandbox.Sandbox) map[string]string {
		p := filepath.Join(t.TempDir(), "committed")
		if err := mk(t, p); err != nil {
			t.Fatal(err)
		}
		return map[string]string{input: p}
	}
}

// matrixRow is one case's result, for the report.
type matrixRow struct {
	name, expect, outcome string
	exit                  int
	sts, minted           int64
	duration              time.Duration
	rssKiB                int64
}

// TestFaultMatrix runs the real binary once per fault and checks that the
// run ends as promised, with a clear message, without leaking a secret, and
// with a GITHUB_ENV the runner accepts that holds credentials only on
// success.
func TestFaultMatrix(t *testing.T) {
	bin := binary(t)
	cases := faultCases()
	rows := make([]matrixRow, len(cases))
	var mu sync.Mutex
	t.Run("cases", func(t *testing.T) {
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				row := runFaultCase(t, bin, c)
				mu.Lock()
				rows[i] = row
				mu.Unlock()
			})
		}
	})
	tab := Table{Header: []string{"fault", "expected", "outcome", "exit", "STS requests", "tokens minted", "duration", "peak RSS"}}
	for _, r := range rows {
		if r.name == "" {
			continue // skipped or aborted
		}
		tab.Add(r.name, r.expect, r.outcome, fmt.Sprint(r.exit), fmt.Sprint(r.sts), fmt.Sprint(r.minted), Millis(r.duration), MiB(r.rssKiB))
	}
	md := tab.Markdown()
	t.Logf("fault matrix (backoff: base %v, cap %v after transient failures; base %v, cap %v after throttling; full jitter):\n\n%s",
		action.DefaultBackoff.Base, action.DefaultBackoff.Cap, action.DefaultThrottleBackoff.Base, action.DefaultThrottleBackoff.Cap, md)
	writeReport(t, *matrixReport, md)
}

func runFaultCase(t *testing.T, bin string, c faultCase) matrixRow {
	sb := startSandbox(t, c.opts)
	if c.inject != nil {
		c.inject(sb)
	}
	with := c.with
	if c.setup != nil {
		with = maps.Clone(with)
		if with == nil {
			with = map[string]string{}
		}
		maps.Copy(with, c.setup(t, sb))
	}
	st := newStep(t, sb, "", with)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	run, err := Measure(ctx, st, bin)
	if errors.Is(err, ErrNoRSSProbe) {
		run, err = Exec(ctx, st, bin)
	}
	if err != nil {
		t.Fatal(err)
	}
	settled(t, sb)
	stsRequests, minted := sb.STS.Stats().Requests, sb.Issuer.Minted()
	log := runnersim.ParseLog(run.Stdout)
	t.Logf("exit %d in %v, %d STS requests, %d tokens minted, peak RSS %d KiB; visible log:\n%s", run.ExitCode, run.Duration, stsRequests, minted, run.MaxRSSKiB, log.Text())

	row := matrixRow{name: c.name, expect: c.expect, exit: run.ExitCode, sts: stsRequests, minted: minted, duration: run.Duration, rssKiB: run.MaxRSSKiB}
	wantExit := 1
	if c.succeed {
		wantExit = 0
	}
	if run.ExitCode != wantExit {
		t.Errorf("exit code %d, want %d; stderr:\n%s", run.ExitCode, wantExit, run.Stderr)
	}

	res, err := st.Read()
	if err != nil {
		t.Fatalf("the runner would reject the step's files: %v", err)
	}
	if err := CheckCredentials(res.Env, run.ExitCode == 0); err != nil {
		t.Error(err)
	}

	errText := strings.Join(log.Errors, "\n")
	switch {
	case c.succeed:
		row.outcome = "credentials exported"
		if len(log.Errors) > 0 {
			t.Errorf("a successful run logged errors: %s", errText)
		}
	case len(log.Errors) == 0:
		row.outcome = "failed without an error annotation"
		t.Errorf("the run failed without an ::error:: annotation saying why")
	default:
		row.outcome = firstLine(log.Errors[len(log.Errors)-1], 110)
	}
	for _, s := range c.say {
		if !strings.Contains(strings.ToLower(errText), strings.ToLower(s)) {
			t.Errorf("the error annotation does not mention %q:\n%s", s, errText)
		}
	}
	for _, s := range c.show {
		if !strings.Contains(log.Text(), s) {
			t.Errorf("the visible log does not show %q", s)
		}
	}

	secrets := map[string]string{"ACTIONS_ID_TOKEN_REQUEST_TOKEN": st.Getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")}
	for _, k := range SecretVars {
		secrets[k] = res.Env[k]
	}
	for i, tok := range JWTs(log.Masks) {
		secrets[fmt.Sprintf("the OIDC token #%d", i+1)] = tok
	}
	if c.succeed && len(JWTs(log.Masks)) == 0 {
		t.Errorf("the OIDC token was never masked")
	}
	for _, l := range Leaks(run.Stdout, run.Stderr, secrets) {
		t.Errorf("secret leaked: %s", l)
	}

	if c.stsRequests >= 0 && stsRequests != int64(c.stsRequests) {
		t.Errorf("STS saw %d requests, want %d (by outcome: %v)", stsRequests, c.stsRequests, sb.STS.Stats().ByOutcome)
	}
	if c.minted >= 0 && minted != int64(c.minted) {
		t.Errorf("the issuer minted %d tokens, want %d", minted, c.minted)
	}
	if run.Duration > c.within {
		t.Errorf("the run took %v, more than the generous bound %v", run.Duration, c.within)
	}
	if c.maxRSSKiB > 0 && run.MaxRSSKiB == 0 {
		t.Logf("peak RSS not checked: %v", ErrNoRSSProbe)
	}
	if c.maxRSSKiB > 0 && run.MaxRSSKiB > c.maxRSSKiB {
		t.Errorf("peak RSS %d KiB, more than %d KiB: the answer's size is not bounded", run.MaxRSSKiB, c.maxRSSKiB)
	}
	return row
}

func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
