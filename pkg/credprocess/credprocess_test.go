package credprocess

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/inputs"
	"github.com/org/oidc-aws-action/pkg/internal/localsts"
	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
	"github.com/org/oidc-aws-action/pkg/retry"
	"github.com/org/oidc-aws-action/pkg/rolehop"
	"github.com/org/oidc-aws-action/pkg/sessiontags"
	"github.com/org/oidc-aws-action/pkg/stsexchange"
)

// fakeClock is the helper's and the servers' clock.
type fakeClock struct{ offset atomic.Int64 }

func (c *fakeClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *fakeClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

type world struct {
	sleep retry.Sleeper // nil: real waits
	// runTimeout and fallbackWait, when set, scale down the helper's.
	runTimeout, fallbackWait time.Duration
	beforeNetwork            func() // nil: none
	sb                       *sandbox.Sandbox
	env                      map[string]string
	clock                    *fakeClock
	dir                      string
}

func newWorld(t *testing.T, o sandbox.Options) *world {
	t.Helper()
	clock := &fakeClock{}
	o.Clock = clock.Now
	sb, err := sandbox.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	return &world{
		sb: sb,
		env: map[string]string{
			"ACTIONS_ID_TOKEN_REQUEST_URL":   sb.Issuer.RequestURL(),
			"ACTIONS_ID_TOKEN_REQUEST_TOKEN": sb.Issuer.RequestToken(),
		},
		clock: clock,
		dir:   t.TempDir(),
	}
}

// hop is the role hop w.args describes.
func (w *world) hop(t *testing.T) *rolehop.Hop {
	t.Helper()
	s, err := parse(w.args())
	if err != nil {
		t.Fatal(err)
	}
	return &s.hop
}

func (w *world) args(extra ...string) []string {
	return append([]string{"--role-to-assume", sandbox.RoleARN, "--aws-region", "us-east-1",
		"--sts-endpoint", w.sb.STS.URL(), "--cache-dir", w.dir}, extra...)
}

type runResult struct {
	code           int
	stdout, stderr string
	out            Output
}

func (w *world) run(t *testing.T, args []string) runResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, Options{
		Getenv: func(k string) string { return w.env[k] },
		Stdout: &stdout, Stderr: &stderr, Sleep: w.sleep, now: w.clock.Now,
		runTimeout: w.runTimeout, fallbackWait: w.fallbackWait, BeforeNetwork: w.beforeNetwork,
	})
	r := runResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
	if code == 0 {
		if err := json.Unmarshal(stdout.Bytes(), &r.out); err != nil {
			t.Fatalf("stdout is not credential_process JSON: %v", err)
		}
	}
	return r
}

// intoMargin moves the helper's clock to 3 minutes before o expires, inside
// the margin of credentials of 15 minutes or more (STS's clock stays, so what it issues
// next is fresh).
func (w *world) intoMargin(o Output) {
	exp, _ := time.Parse(time.RFC3339, o.Expiration)
	w.clock.advance(exp.Sub(w.clock.Now()) - 3*time.Minute)
}

func (w *world) stsCalls() int64 { return w.sb.STS.Stats().Requests }

func TestMarginScalesDownForShortLivedCredentials(t *testing.T) {
	for _, tc := range []struct{ life, want time.Duration }{
		{12 * time.Hour, 5 * time.Minute},
		{time.Hour, 5 * time.Minute},
		{20 * time.Minute, 5 * time.Minute},
		{2 * time.Minute, 30 * time.Second},
		{time.Minute, 15 * time.Second},
		{4 * time.Second, time.Second},
		{0, 0},
		{-time.Second, 0},
	} {
		if got := margin(tc.life); got != tc.want {
			t.Errorf("margin(%v) = %v, want %v", tc.life, got, tc.want)
		}
	}
}

func TestAnswersFromTheCacheUntilTheMarginThenRefreshesOnce(t *testing.T) {
	w := newWorld(t, sandbox.Options{})
	first := w.run(t, w.args())
	if first.code != 0 {
		t.Fatalf("exit %d: %s", first.code, first.stderr)
	}
	o := first.out
	if o.Version != 1 || o.AccessKeyID == "" || o.SecretAccessKey == "" || o.SessionToken == "" {
		t.Fatalf("output %+v", o)
	}
	exp, err := time.Parse(time.RFC3339, o.Expiration)
	if err != nil || exp.Location() != time.UTC {
		t.Fatalf("Expiration %q is not RFC 3339 UTC: %v", o.Expiration, err)
	}
	if w.stsCalls() != 1 || w.sb.Issuer.Minted() != 1 {
		t.Fatalf("first run: %d STS calls, %d tokens; want 1 and 1", w.stsCalls(), w.sb.Issuer.Minted())
	}
	for range 5 {
		if again := w.run(t, w.args()); again.out != o {
			t.Fatalf("a run inside the lifetime got other credentials")
		}
	}
	// 54 minutes into a 1-hour lifetime: 6 minutes left, more than the 5-minute margin.
	w.clock.advance(exp.Sub(w.clock.Now()) - 6*time.Minute)
	if again := w.run(t, w.args()); again.out != o || w.stsCalls() != 1 {
		t.Fatalf("refreshed outside the margin (%d STS calls)", w.stsCalls())
	}
	// 4 minutes left: inside the margin.
	w.clock.advance(2 * time.Minute)
	fresh := w.run(t, w.args())
	if fresh.code != 0 || fresh.out.AccessKeyID == o.AccessKeyID {
		t.Fatalf("inside the margin: exit %d, same key %v: %s", fresh.code, fresh.out.AccessKeyID == o.AccessKeyID, fresh.stderr)
	}
	// A refresh is one token request and one STS call.
	if w.stsCalls() != 2 || w.sb.Issuer.Minted() != 2 {
		t.Errorf("after the refresh: %d STS calls, %d tokens; want 2 and 2", w.stsCalls(), w.sb.Issuer.Minted())
	}
	entries, _ := os.ReadDir(w.dir)
	for _, e := range entries {
		fi, _ := e.Info()
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
}

func TestShortLivedCredentialsAreNeverHandedOutExpired(t *testing.T) {
	w := newWorld(t, sandbox.Options{CredentialLifetime: 8 * time.Second})
	first := w.run(t, w.args())
	exp, _ := time.Parse(time.RFC3339, first.out.Expiration)
	// With 8 s credentials the margin is 2 s: at 3 s left the cache still
	// answers, at 1 s left it refreshes.
	w.clock.advance(exp.Sub(w.clock.Now()) - 3*time.Second)
	if r := w.run(t, w.args()); r.out != first.out {
		t.Errorf("refreshed with 3 s left of 8 s")
	}
	w.clock.advance(2 * time.Second)
	if r := w.run(t, w.args()); r.code != 0 || r.out.AccessKeyID == first.out.AccessKeyID {
		t.Errorf("handed out credentials with 1 s left of 8 s (exit %d: %s)", r.code, r.stderr)
	}
}

func TestConcurrentRunsAtExpiryMakeOneSTSCall(t *testing.T) {
	w := newWorld(t, sandbox.Options{})
	r := w.run(t, w.args())
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	w.intoMargin(r.out)
	var wg sync.WaitGroup
	results := make([]runResult, 32)
	for i := range results {
		wg.Go(func() { results[i] = w.run(t, w.args()) })
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 || r.out != results[0].out {
			t.Fatalf("run %d: exit %d, same credentials as run 0: %v: %s", i, r.code, r.out == results[0].out, r.stderr)
		}
	}
	if n := w.stsCalls(); n != 2 {
		t.Errorf("32 concurrent runs at expiry made %d STS calls, want 1", n-1)
	}
}

func TestWithoutTheTokenVariablesTheErrorSaysWhichPermission(t *testing.T) {
	w := newWorld(t, sandbox.Options{})
	w.env = map[string]string{}
	r := w.run(t, w.args())
	if r.code != 1 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
	}
	if !strings.Contains(r.stderr, "permissions: id-token: write") || !strings.Contains(r.stderr, "ACTIONS_ID_TOKEN_REQUEST_URL") {
		t.Errorf("stderr does not say what to add:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "::") || strings.Contains(r.stderr, "%0A") {
		t.Errorf("stderr has workflow-command encoding:\n%s", r.stderr)
	}
}

func TestBadSettingsNameTheInputBeforeAnyNetworkCall(t *testing.T) {
	w := newWorld(t, sandbox.Options{})
	for name, args := range map[string][]string{
		"bad role":           {"--role-to-assume", "arn:aws:iam::1:role/x", "--aws-region", "us-east-1"},
		"no region":          {"--role-to-assume", sandbox.RoleARN},
		"bad duration":       w.args("--role-duration-seconds", "60"),
		"chain flag alone":   w.args("--chain-role-external-id", "abc"),
		"bad chained role":   w.args("--chain-role-to-assume", "nope"),
		"bad tags":           w.args("--chain-role-to-assume", sandbox.RoleARN, "--chain-session-tags", `{"Tags":[{"Key":"a;b","Value":"v"}]}`),
		"unknown flag":       w.args("--profile", "x"),
		"stray argument":     w.args("extra"),
		"bad session policy": w.args("--inline-session-policy", "{"),
	} {
		t.Run(name, func(t *testing.T) {
			r := w.run(t, args)
			if r.code != 1 || !strings.Contains(r.stderr, "Fix: ") {
				t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
			}
		})
	}
	if n := w.stsCalls(); n != 0 || w.sb.Issuer.Minted() != 0 {
		t.Errorf("%d STS calls and %d tokens for invalid settings", n, w.sb.Issuer.Minted())
	}
}

func TestSTSRefusalIsReportedWithTheFix(t *testing.T) {
	w := newWorld(t, sandbox.Options{})
	r := w.run(t, w.args("--role-to-assume", "arn:aws:iam::"+sandbox.Account+":role/ghost"))
	if r.code != 1 || !strings.Contains(r.stderr, "AccessDenied") || !strings.Contains(r.stderr, "Fix: ") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// TestEveryFailureIsOneLineThenItsFix: what went wrong on one line, then
// the fix its cause carries on a line of its own after "Fix:", once, for
// the helper's own errors and for the token's and STS's alike.
func TestEveryFailureIsOneLineThenItsFix(t *testing.T) {
	w := newWorld(t, sandbox.Options{})
	w.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() } // retries without waiting
	cases := []struct {
		name    string
		env     map[string]string
		args    []string
		wantMsg string
		wantFix string
	}{
		{"STS refuses", nil, w.args("--role-to-assume", "arn:aws:iam::"+sandbox.Account+":role/ghost"),
			"AccessDenied", "trust policy"},
		{"the runner refuses the request token", map[string]string{
			"ACTIONS_ID_TOKEN_REQUEST_URL": w.sb.Issuer.RequestURL(), "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "not-the-token"},
			w.args(), "401", "re-run the job"},
		{"no token variables", map[string]string{}, w.args(), "not in its environment", "permissions: id-token: write"},
		{"bad settings", nil, w.args("--role-duration-seconds", "60"), "settings are invalid", "write the profile again"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			saved := w.env
			if c.env != nil {
				w.env = c.env
			}
			defer func() { w.env = saved }()
			r := w.run(t, c.args)
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if r.code != 1 || len(lines) != 2 {
				t.Fatalf("exit %d, want 1 and two lines on stderr:\n%s", r.code, r.stderr)
			}
			if !strings.HasPrefix(lines[0], "oidc-aws credential-process: ") || !strings.Contains(lines[0], c.wantMsg) {
				t.Errorf("first line %q does not say %q", lines[0], c.wantMsg)
			}
			if !strings.HasPrefix(lines[1], "Fix: ") || !strings.Contains(lines[1], c.wantFix) {
				t.Errorf("second line %q is not a fix that says %q", lines[1], c.wantFix)
			}
			if n := strings.Count(r.stderr, "Fix:"); n != 1 {
				t.Errorf("%d fixes in:\n%s", n, r.stderr)
			}
			if n := strings.Count(strings.ToLower(r.stderr), "failed"); n > 1 {
				t.Errorf("says failed %d times:\n%s", n, r.stderr)
			}
		})
	}
}

func TestChainRefreshesBothHopsWithTheSameTags(t *testing.T) {
	const target = "arn:aws:iam::" + sandbox.Account + ":role/deployer"
	w := newWorld(t, sandbox.Options{})
	if err := w.sb.STS.AddRole(target, localsts.Role{TrustedRoles: []string{sandbox.RoleARN}, ExternalID: "ext-1"}); err != nil {
		t.Fatal(err)
	}
	tags := sessiontags.Build(func(k string) string { return map[string]string{"GITHUB_REPOSITORY": "octo-org/octo-repo"}[k] },
		[]sessiontags.Tag{{Key: "Team", Value: "pay ments"}}, []string{"Team"})
	chain := rolehop.Hop{Role: inputs.Role{ARN: target}, Region: "eu-west-1", Endpoint: w.sb.STS.URL(), SessionName: "chained", Duration: 15 * time.Minute,
		ExternalID: "ext-1", Tags: tags, Source: w.hop(t)}
	args := append(Args(chain), "--cache-dir", w.dir)
	first := w.run(t, args)
	if first.code != 0 {
		t.Fatalf("exit %d: %s", first.code, first.stderr)
	}
	reqs := w.sb.STS.Requests()
	if len(reqs) != 2 || reqs[0].Action != "AssumeRoleWithWebIdentity" || reqs[1].Action != "AssumeRole" {
		t.Fatalf("requests %+v", reqs)
	}
	if got := reqs[1]; got.RoleArn != target || got.ExternalID != "ext-1" || got.RoleSessionName != "chained" || got.DurationSeconds != "900" ||
		len(got.Tags) != 3 || got.Tags[2] != (localsts.Tag{Key: "Team", Value: "pay ments"}) || len(got.TransitiveTagKeys) != 1 {
		t.Errorf("chained request %+v", got)
	}
	// The first hop's entry is the plain profile's: asking for it costs nothing.
	source := w.run(t, w.args())
	if source.code != 0 || len(w.sb.STS.Requests()) != 2 {
		t.Errorf("the source profile did not share the chain's first hop (%d requests)", len(w.sb.STS.Requests()))
	}
	// The chained credentials (15 min) near expiry: only the chained hop is
	// redone, with the cached first hop.
	w.intoMargin(first.out)
	again := w.run(t, args)
	reqs = w.sb.STS.Requests()
	if again.code != 0 || again.out.AccessKeyID == first.out.AccessKeyID || len(reqs) != 3 {
		t.Fatalf("chained hop near expiry: exit %d, %d requests: %s", again.code, len(reqs), again.stderr)
	}
	if reqs[2].Action != "AssumeRole" || len(reqs[2].Tags) != 3 || reqs[2].AccessKeyID != reqs[1].AccessKeyID {
		t.Errorf("refreshed chained request %+v", reqs[2])
	}
	// Both near expiry: both hops are redone, the tags sent again.
	w.intoMargin(source.out)
	third := w.run(t, args)
	reqs = w.sb.STS.Requests()
	if third.code != 0 || len(reqs) != 5 || reqs[3].Action != "AssumeRoleWithWebIdentity" {
		t.Fatalf("both hops near expiry: exit %d, %d requests: %s", third.code, len(reqs), third.stderr)
	}
	if reqs[4].Action != "AssumeRole" || len(reqs[4].Tags) != 3 || reqs[4].AccessKeyID == reqs[1].AccessKeyID {
		t.Errorf("refreshed chained request %+v", reqs[4])
	}
}

func TestSeededEntryAnswersTheFirstRun(t *testing.T) {
	w := newWorld(t, sandbox.Options{})
	r := w.run(t, w.args())
	path := filepath.Join(w.dir, "seeded")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	exp, _ := time.Parse(time.RFC3339, r.out.Expiration)
	args := append(w.args(), "--cache-dir", path)
	file, err := Seed(path, args, credsOf(r.out, exp), time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("seeded file %v %v", fi, err)
	}
	if again := w.run(t, args); again.out != r.out || w.stsCalls() != 1 {
		t.Errorf("the seeded entry was not used (%d STS calls)", w.stsCalls())
	}
}

func credsOf(o Output, exp time.Time) stsexchange.Credentials {
	return stsexchange.Credentials{AccessKeyID: o.AccessKeyID, SecretAccessKey: o.SecretAccessKey, SessionToken: o.SessionToken, Expiration: exp}
}

func TestFlagsCarryTheStepsInputsUnchanged(t *testing.T) {
	env := map[string]string{
		inputs.EnvName(inputs.RoleToAssume):           sandbox.RoleARN,
		inputs.EnvName(inputs.AWSRegion):              "eu-west-1",
		inputs.EnvName(inputs.Audience):               "my-aud",
		inputs.EnvName(inputs.RoleSessionName):        "sess",
		inputs.EnvName(inputs.RoleDurationSeconds):    "1800",
		inputs.EnvName(inputs.InlineSessionPolicy):    `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/#it's;x"}]}`,
		inputs.EnvName(inputs.ManagedSessionPolicies): "arn:aws:iam::aws:policy/ReadOnlyAccess\narn:aws:iam::123456789012:policy/p",
		inputs.EnvName(inputs.HTTPProxy):              "http://proxy.example:3128",
		inputs.EnvName(inputs.NoProxy):                "127.0.0.1,localhost",
		inputs.EnvName(inputs.RetryMaxAttempts):       "3",
		inputs.EnvName(inputs.AllowedAccountIDs):      "111111111111, " + sandbox.Account,
		inputs.EnvName(inputs.MaskAWSAccountID):       "true",
	}
	in, err := inputs.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	hop := rolehop.FromInputs(in)
	hop.Endpoint = "https://sts.eu-west-1.amazonaws.com"
	s, err := parse(Args(hop))
	if err != nil {
		t.Fatal(err)
	}
	got := s.hop
	if got.Role != in.Role || got.Region != in.Region || got.Audience != in.Audience || got.SessionName != in.SessionName ||
		got.Duration != in.Duration || got.Policy != in.InlineSessionPolicy ||
		strings.Join(got.PolicyARNs, " ") != strings.Join(in.ManagedSessionPolicies, " ") ||
		got.HTTPProxy != in.HTTPProxy || got.NoProxy != in.NoProxy || got.MaxAttempts != 3 ||
		got.Endpoint != "https://sts.eu-west-1.amazonaws.com" || got.Source != nil ||
		!slices.Equal(got.AllowedAccountIDs, []string{"111111111111", sandbox.Account}) || !got.MaskAccountID {
		t.Errorf("parsed back %+v\nfrom %+v", got, in)
	}
	if !reflect.DeepEqual(got, hop) {
		t.Errorf("parsed back %+v\nwant %+v", got, hop)
	}
}

func TestWhileSTSFailsTheCachedCredentialsServeUntilAlmostExpired(t *testing.T) {
	w := newWorld(t, sandbox.Options{})
	w.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() } // retries without waiting
	first := w.run(t, w.args())
	if first.code != 0 {
		t.Fatal(first.stderr)
	}
	w.sb.STS.Inject(localsts.Fault{Kind: localsts.FaultHTTP503})
	// Inside the 5-minute margin, with more than its quarter left: the
	// refresh fails, and the cached credentials are the answer.
	w.intoMargin(first.out)
	if r := w.run(t, w.args()); r.code != 0 || r.out != first.out {
		t.Fatalf("during the outage, with 3 minutes left: exit %d: %s", r.code, r.stderr)
	}
	// A minute left: too little to hand out.
	w.clock.advance(2 * time.Minute)
	r := w.run(t, w.args())
	if r.code != 1 || !strings.Contains(r.stderr, "ServiceUnavailable") {
		t.Errorf("during the outage, with a minute left: exit %d: %s", r.code, r.stderr)
	}
	// STS back: a fresh answer.
	w.sb.STS.ClearFaults()
	if r := w.run(t, w.args()); r.code != 0 || r.out.AccessKeyID == first.out.AccessKeyID {
		t.Errorf("after the outage: exit %d: %s", r.code, r.stderr)
	}
}

func TestChainedHopGoesWhereTheChainingStepWent(t *testing.T) {
	source := []string{"--role-to-assume", sandbox.RoleARN, "--aws-region", "us-east-1", "--sts-endpoint", "https://sts.us-east-1.amazonaws.com"}
	src, err := parse(source)
	if err != nil {
		t.Fatal(err)
	}
	in := rolehop.Hop{Role: inputs.Role{ARN: "arn:aws:iam::123456789012:role/deployer"}, Region: "eu-west-1", Endpoint: "https://sts.eu-west-1.amazonaws.com",
		SessionName: "chained", Source: &src.hop}
	s, err := parse(Args(in))
	if err != nil {
		t.Fatal(err)
	}
	if s.hop.Region != "eu-west-1" || s.hop.Endpoint != "https://sts.eu-west-1.amazonaws.com" || s.hop.Source.Region != "us-east-1" {
		t.Errorf("chain %s %s, source %s", s.hop.Region, s.hop.Endpoint, s.hop.Source.Region)
	}
	// Without them, the first hop's.
	s, err = parse(append(slices.Clone(source), "--chain-role-to-assume", in.Role.ARN))
	if err != nil {
		t.Fatal(err)
	}
	if s.hop.Region != "us-east-1" || s.hop.Endpoint != "https://sts.us-east-1.amazonaws.com" {
		t.Errorf("chain %s %s", s.hop.Region, s.hop.Endpoint)
	}
}

// TestWhatIsPlantedInTheCacheIsNeitherWaitedOnNorBelieved: a FIFO or a
// symlink under an entry's name is passed over (and replaced), and a FIFO
// under the lock's name is refused at once rather than opened and waited on.
func TestWhatIsPlantedInTheCacheIsNeitherWaitedOnNorBelieved(t *testing.T) {
	w := newWorld(t, sandbox.Options{})
	s, err := parse(w.args())
	if err != nil {
		t.Fatal(err)
	}
	c := &cache{dir: w.dir}
	entryPath := c.path(cacheKey(s.hop))
	lockPath := filepath.Join(w.dir, "cred-"+cacheKey(s.hop)+".lock")

	if err := syscall.Mkfifo(entryPath, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := w.run(t, w.args()); r.code != 0 || w.stsCalls() != 1 {
		t.Fatalf("with a FIFO as the entry: exit %d, %d STS calls: %s", r.code, w.stsCalls(), r.stderr)
	}
	if fi, err := os.Lstat(entryPath); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("the FIFO was not replaced by an entry: %v %v", fi, err)
	}

	// An entry that would be fresh, reached through a symlink, is not used.
	good, err := os.ReadFile(entryPath)
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := filepath.Join(t.TempDir(), "planted.json")
	if err := os.WriteFile(elsewhere, good, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(entryPath)
	if err := os.Symlink(elsewhere, entryPath); err != nil {
		t.Fatal(err)
	}
	if r := w.run(t, w.args()); r.code != 0 || w.stsCalls() != 2 {
		t.Fatalf("with a symlink as the entry: exit %d, %d STS calls, want a refresh: %s", r.code, w.stsCalls(), r.stderr)
	}

	os.Remove(entryPath)
	os.Remove(lockPath)
	if err := syscall.Mkfifo(lockPath, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := w.run(t, w.args()); r.code != 1 || !strings.Contains(r.stderr, "named pipe") {
		t.Fatalf("with a FIFO as the lock: exit %d, stderr %q", r.code, r.stderr)
	}
}

// foreignSTS answers every call with well-shaped credentials for account
// 999999999999, whatever role was asked for.
func foreignSTS(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>`+
			`<AssumedRoleUser><Arn>arn:aws:sts::999999999999:assumed-role/deploy/s</Arn><AssumeRoleId>AROAEXAMPLE:s</AssumeRoleId></AssumedRoleUser>`+
			`<Credentials><AccessKeyId>ASIAFOREIGN123456789</AccessKeyId><SecretAccessKey>`+strings.Repeat("s", 40)+`</SecretAccessKey>`+
			`<SessionToken>`+strings.Repeat("T", 400)+`</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>`+
			`</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestARefreshForAnAccountOutsideAllowedAccountIDsPrintsNothing(t *testing.T) {
	w := newWorld(t, sandbox.Options{})
	args := []string{"--role-to-assume", sandbox.RoleARN, "--aws-region", "us-east-1", "--sts-endpoint", foreignSTS(t).URL,
		"--cache-dir", w.dir, "--allowed-account-ids", sandbox.Account}
	r := w.run(t, args)
	want := "oidc-aws credential-process: the credentials are for account 999999999999, which is not in allowed-account-ids (" + sandbox.Account + "); nothing was printed\n" +
		"Fix: check role-to-assume and sts-endpoint, or add the account to allowed-account-ids\n"
	if r.code != 1 || r.stdout != "" || r.stderr != want {
		t.Errorf("exit %d, stdout %q, stderr\n%s\nwant\n%s", r.code, r.stdout, r.stderr, want)
	}
	if m, _ := filepath.Glob(filepath.Join(w.dir, "cred-*.json")); len(m) != 0 {
		t.Errorf("cached: %v", m)
	}
	// Masked, the account is not named.
	r = w.run(t, append(args, "--mask-aws-account-id", "true"))
	if r.code != 1 || r.stdout != "" || strings.Contains(r.stderr, "999999999999") || strings.Contains(r.stderr, sandbox.Account) || !strings.Contains(r.stderr, "not in allowed-account-ids") {
		t.Errorf("masked: exit %d, stdout %q, stderr\n%s", r.code, r.stdout, r.stderr)
	}
}

// The chained hop carries the chaining step's allowed-account-ids, and its
// new credentials are checked against that list, not the first hop's.
func TestChainArgsCarryTheChainingStepsAllowedAccounts(t *testing.T) {
	src, err := parse([]string{"--role-to-assume", sandbox.RoleARN, "--aws-region", "us-east-1", "--allowed-account-ids", sandbox.Account})
	if err != nil {
		t.Fatal(err)
	}
	in := rolehop.Hop{Role: inputs.Role{ARN: "arn:aws:iam::210987654321:role/deployer"}, SessionName: "chained", AllowedAccountIDs: []string{"210987654321"}, Source: &src.hop}
	s, err := parse(Args(in))
	if err != nil {
		t.Fatal(err)
	}
	if s.hop.Source == nil || !slices.Equal(s.hop.Source.AllowedAccountIDs, []string{sandbox.Account}) || !slices.Equal(s.hop.AllowedAccountIDs, []string{"210987654321"}) {
		t.Fatalf("chain %+v", s.hop)
	}
	if err := s.hop.CheckAccount(sandbox.Account); err == nil {
		t.Error("the chained hop accepts the first hop's account")
	}
}

// TestWhileSTSHangsTheHelpersWaitingOnTheLockAnswerFromTheCache: with STS
// hanging and the cached credentials inside their margin but still usable,
// helpers that wait on the lock give up waiting after fallbackWait and
// answer with those, rather than queue behind one failing refresh after
// another until the run times out; and one failed refresh spares the next
// holders of the lock another try. The waits are scaled down (1 s to fall
// back, 4 s for the run), in the ratio of the real ones' to 8 helpers.
func TestWhileSTSHangsTheHelpersWaitingOnTheLockAnswerFromTheCache(t *testing.T) {
	w := newWorld(t, sandbox.Options{})
	first := w.run(t, w.args())
	if first.code != 0 {
		t.Fatal(first.stderr)
	}
	w.fallbackWait, w.runTimeout = time.Second, 4*time.Second
	w.sb.STS.Inject(localsts.Fault{Kind: localsts.FaultHang})
	w.intoMargin(first.out)
	var wg sync.WaitGroup
	results := make([]runResult, 8)
	for i := range results {
		wg.Go(func() { results[i] = w.run(t, w.args()) })
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 || r.out != first.out {
			t.Errorf("run %d: exit %d, the cached credentials %v: %s", i, r.code, r.out == first.out, r.stderr)
		}
	}
	if n := w.stsCalls() - 1; n != 1 {
		t.Errorf("8 runs during the outage made %d STS calls, want 1", n)
	}
	// After the pause, one more try; still failing, the cache answers.
	w.clock.advance(refreshPause)
	if r := w.run(t, w.args()); r.code != 0 || r.out != first.out || w.stsCalls() != 3 {
		t.Errorf("after the pause: exit %d, %d STS calls in all, want 3: %s", r.code, w.stsCalls(), r.stderr)
	}
}

// TestAnAnswerFromTheCacheNeedsNoLockAndNoNetworkSetUp: the hot path of
// every SDK call. While the entry is fresh the helper neither waits on the
// lock (here held by another process's flock for the whole run) nor runs
// BeforeNetwork, where the binary parses its compiled-in CA roots.
func TestAnAnswerFromTheCacheNeedsNoLockAndNoNetworkSetUp(t *testing.T) {
	w := newWorld(t, sandbox.Options{})
	var setUps atomic.Int32
	w.beforeNetwork = func() { setUps.Add(1) }
	first := w.run(t, w.args())
	if first.code != 0 || setUps.Load() == 0 {
		t.Fatalf("first run: exit %d, %d network set-ups: %s", first.code, setUps.Load(), first.stderr)
	}
	locks, _ := filepath.Glob(filepath.Join(w.dir, "cred-*.lock"))
	if len(locks) != 1 {
		t.Fatalf("lock files %v, want one", locks)
	}
	f, err := os.Open(locks[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	w.runTimeout = 2 * time.Second
	setUps.Store(0)
	if r := w.run(t, w.args()); r.code != 0 || r.out != first.out {
		t.Fatalf("from the cache with the lock held: exit %d, same credentials %v: %s", r.code, r.out == first.out, r.stderr)
	}
	if n := setUps.Load(); n != 0 {
		t.Errorf("an answer from the cache set up the network %d times", n)
	}
}

// TestHelperRetriesByTheStepsRules: the helper follows the step's table
// (pkg/rolehop) with its own waits: a token AWS finds expired or cannot
// validate gets one fresh token, and a persistent failure stops there.
func TestHelperRetriesByTheStepsRules(t *testing.T) {
	cases := []struct {
		name     string
		fault    localsts.Fault
		wantCode int
		wantSTS  int64
		wantMint int64
		wantSay  string
	}{
		{"an expired token once: a fresh one passes", localsts.Fault{Kind: localsts.FaultExpiredToken, Times: 1}, 0, 2, 2, ""},
		{"an expired token always: one fresh one, then the clock", localsts.Fault{Kind: localsts.FaultExpiredToken}, 1, 2, 2, "runner's clock"},
		{"an invalid token once: a fresh one passes", localsts.Fault{Kind: localsts.FaultInvalidIdentityToken, Times: 1}, 0, 2, 2, ""},
		{"an invalid token always: one fresh one, then the failure", localsts.Fault{Kind: localsts.FaultInvalidIdentityToken}, 1, 2, 2, "InvalidIdentityToken"},
		{"throttling: the same token again", localsts.Fault{Kind: localsts.FaultThrottling, Times: 2}, 0, 3, 1, ""},
		{"AccessDenied: no retry", localsts.Fault{Kind: localsts.FaultAccessDenied}, 1, 1, 1, "AccessDenied"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, sandbox.Options{})
			w.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
			c.fault.Action = "AssumeRoleWithWebIdentity"
			w.sb.STS.Inject(c.fault)
			r := w.run(t, w.args())
			if r.code != c.wantCode || !strings.Contains(r.stderr, c.wantSay) {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, c.wantCode, r.stderr)
			}
			if w.stsCalls() != c.wantSTS || w.sb.Issuer.Minted() != c.wantMint {
				t.Errorf("%d STS calls, %d tokens; want %d and %d", w.stsCalls(), w.sb.Issuer.Minted(), c.wantSTS, c.wantMint)
			}
		})
	}
}
