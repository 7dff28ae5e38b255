package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/org/oidc-aws-action/pkg/awsprofile"
	"github.com/org/oidc-aws-action/pkg/credprocess"
	"github.com/org/oidc-aws-action/pkg/inputs"
	"github.com/org/oidc-aws-action/pkg/internal/localsts"
	"github.com/org/oidc-aws-action/pkg/internal/prereq"
	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
	"github.com/org/oidc-aws-action/pkg/rolehop"
	"github.com/org/oidc-aws-action/pkg/sessiontags"
)

// These tests run real AWS clients, the AWS CLI v2 and aws-sdk-go-v2's
// LoadDefaultConfig, against a profile whose credential_process is the
// built helper, with credentials that STS issues for a few seconds only, so
// that they expire during the test as a job's would over hours.

var (
	cliCalls    = flag.Int("cli-calls", 4, "sequential AWS CLI calls in TestRefreshSequentialCallsCostOneSTSCallPerLifetime (the README's figure used 200)")
	cliLifetime = flag.Duration("cli-lifetime", time.Minute, "credential lifetime for the CLI calls of TestRefreshSequentialCallsCostOneSTSCallPerLifetime")
)

// shortLife is how long STS's credentials live in these tests. The CLI
// takes about a second to start, so it gets a few calls per lifetime, and
// a fresh set still has seconds left when a slow CLI's call lands: STS
// truncates expiry to the second, and a loaded 2-core machine running
// -race has been seen to take most of a 3 s lifetime.
const shortLife = 5 * time.Second

// job is the world a later step lives in: a per-job directory with the
// helper's executable and an AWS config file naming it, as the action step
// leaves them, and the step's environment.
type job struct {
	sb  *sandbox.Sandbox
	dir string
	env map[string]string
	// outputs collects everything clients and helpers printed, for the
	// check that no secret reached them.
	mu      sync.Mutex
	outputs []string
}

func newJob(t *testing.T, o sandbox.Options) *job {
	t.Helper()
	sb := start(t, o)
	dir := t.TempDir()
	exe, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, credprocess.Executable), exe, 0o700); err != nil {
		t.Fatal(err)
	}
	j := &job{sb: sb, dir: dir, env: map[string]string{
		"PATH":                           os.Getenv("PATH"),
		"HOME":                           t.TempDir(),
		"AWS_CONFIG_FILE":                filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE":    filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":      "true",
		credprocess.DirVariable:          dir,
		"ACTIONS_ID_TOKEN_REQUEST_URL":   sb.Issuer.RequestURL(),
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": sb.Issuer.RequestToken(),
		// As the step leaves them: cleared, which the runner passes on as
		// empty values, and which the CLI and SDKs must then ignore.
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
	}}
	t.Cleanup(func() { j.noSecretPrinted(t) })
	return j
}

// sourceArgs are the helper flags of a plain refreshable profile.
func (j *job) sourceArgs() []string {
	return []string{"--role-to-assume", sandbox.RoleARN, "--aws-region", "us-east-1", "--sts-endpoint", j.sb.STS.URL()}
}

func (j *job) addProfile(t *testing.T, name string, args []string) {
	t.Helper()
	f := awsprofile.Files{Config: j.env["AWS_CONFIG_FILE"], Credentials: j.env["AWS_SHARED_CREDENTIALS_FILE"], UID: -1, GID: -1}
	if _, err := f.Write(awsprofile.Profile{Name: name, Region: "us-east-1", CredentialProcess: credprocess.ProfileCommand(args)}, false); err != nil {
		t.Fatal(err)
	}
}

func (j *job) environ(drop ...string) []string {
	var env []string
	for k, v := range j.env {
		if !contains(drop, k) {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// cli runs `aws sts get-caller-identity` with profile and returns the ARN.
func (j *job) cli(t *testing.T, profile string, drop ...string) (arn string, err error) {
	t.Helper()
	cmd := exec.Command(prereq.AWSCLIv2(t), "sts", "get-caller-identity", "--profile", profile, "--endpoint-url", j.sb.STS.URL(), "--output", "json")
	cmd.Env = j.environ(drop...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	j.record(stdout.String(), stderr.String())
	if err != nil {
		return "", &cliError{err: err, stderr: stderr.String()}
	}
	var who struct{ Arn string }
	if err := json.Unmarshal(stdout.Bytes(), &who); err != nil {
		return "", err
	}
	return who.Arn, nil
}

type cliError struct {
	err    error
	stderr string
}

func (e *cliError) Error() string { return e.err.Error() + ": " + e.stderr }

func (j *job) record(out ...string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.outputs = append(j.outputs, out...)
}

// noSecretPrinted checks (g): no credential from the cache, no request
// token and nothing shaped like a JWT in anything the clients printed.
func (j *job) noSecretPrinted(t *testing.T) {
	t.Helper()
	secrets := []string{j.sb.Issuer.RequestToken()}
	files, _ := filepath.Glob(filepath.Join(j.dir, "cred-*.json"))
	for _, f := range files {
		var e struct{ AccessKeyId, SecretAccessKey, SessionToken string }
		b, _ := os.ReadFile(f)
		if json.Unmarshal(b, &e) == nil {
			secrets = append(secrets, e.AccessKeyId, e.SecretAccessKey, e.SessionToken)
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, out := range j.outputs {
		if m := jwtRe.FindString(out); m != "" {
			t.Errorf("a JWT was printed: %q…", m[:12])
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(out, s) {
				t.Errorf("a secret (%d characters) was printed:\n%s", len(s), out)
			}
		}
	}
}

// webIdentityCalls counts AssumeRoleWithWebIdentity requests STS saw.
func webIdentityCalls(s *localsts.Server) int {
	return int(s.Stats().ByAction["AssumeRoleWithWebIdentity"])
}

// (b) A long job: each call comes after the previous credentials died,
// and still succeeds, with new ones.
func TestRefreshLongJobThroughTheAWSCLI(t *testing.T) {
	t.Parallel()
	prereq.AWSCLIv2(t)
	j := newJob(t, sandbox.Options{CredentialLifetime: shortLife})
	j.addProfile(t, "deploy", j.sourceArgs())
	const lifetimes = 3
	for i := range lifetimes {
		arn, err := j.cli(t, "deploy")
		if err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
		if arn != "arn:aws:sts::"+sandbox.Account+":assumed-role/deploy/GitHubActions" {
			t.Errorf("call %d: ARN %q", i+1, arn)
		}
		if i < lifetimes-1 {
			time.Sleep(shortLife + 500*time.Millisecond) // the credentials are now dead
		}
	}
	keys := map[string]bool{}
	for _, r := range j.sb.STS.Requests() {
		if r.Action == "GetCallerIdentity" {
			if r.Outcome != localsts.OutcomeSuccess {
				t.Errorf("a call failed at STS: %s", r.Outcome)
			}
			keys[r.AccessKeyID] = true
		}
	}
	// One key per call; at least one renewal per lifetime (a slow CLI may
	// see credentials expire within its call and renew again).
	if len(keys) != lifetimes || webIdentityCalls(j.sb.STS) < lifetimes {
		t.Errorf("%d lifetimes: %d distinct keys used, %d web-identity calls; want %d and at least %d", lifetimes, len(keys), webIdentityCalls(j.sb.STS), lifetimes, lifetimes)
	}
}

// (c) Sequential calls, each a fresh client that runs the helper, cost
// about one STS call per credential lifetime that passes.
func TestRefreshSequentialCallsCostOneSTSCallPerLifetime(t *testing.T) {
	t.Run("aws-sdk-go-v2 LoadDefaultConfig, 200 calls or more, over three lifetimes", func(t *testing.T) {
		// Credentials handed out a quarter of a lifetime before expiry
		// must still be good when the call lands: with 3 s ones that is
		// 0.75 s, which a loaded 2-core machine running -race can exceed
		// between the helper's answer and STS. 6 s leaves 1.5 s, and the
		// loop runs on past 200 calls until three lifetimes have passed,
		// so renewals are still counted.
		const life = 6 * time.Second
		j := newJob(t, sandbox.Options{CredentialLifetime: life})
		j.addProfile(t, "deploy", j.sourceArgs())
		for k, v := range j.env {
			t.Setenv(k, v)
		}
		t.Setenv("AWS_PROFILE", "deploy")
		ctx := context.Background()
		start := time.Now()
		calls := 0
		for i := 0; i < 200 || time.Since(start) < 3*life; i++ {
			calls++
			cfg, err := config.LoadDefaultConfig(ctx)
			if err != nil {
				t.Fatal(err)
			}
			who, err := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(j.sb.STS.URL()) }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatalf("call %d: %v", i+1, err)
			}
			j.record(aws.ToString(who.Arn))
		}
		wantAbout(t, calls, life, time.Since(start), webIdentityCalls(j.sb.STS))
	})
	t.Run("AWS CLI", func(t *testing.T) {
		prereq.AWSCLIv2(t)
		// The CLI takes a second or more to start on a busy machine, so
		// its credentials live longer, to leave several calls per lifetime.
		j := newJob(t, sandbox.Options{CredentialLifetime: *cliLifetime})
		j.addProfile(t, "deploy", j.sourceArgs())
		start := time.Now()
		for i := range *cliCalls {
			if _, err := j.cli(t, "deploy"); err != nil {
				t.Fatalf("call %d: %v", i+1, err)
			}
		}
		wantAbout(t, *cliCalls, *cliLifetime, time.Since(start), webIdentityCalls(j.sb.STS))
	})
}

// wantAbout checks that calls cost between one STS call per lifetime and
// one per usable part of a lifetime (STS truncates expiry to the second,
// and the cache stops a quarter of the lifetime early), plus the first.
func wantAbout(t *testing.T, calls int, life, elapsed time.Duration, stsCalls int) {
	t.Helper()
	lo := min(calls, int(elapsed/life))
	hi := min(calls, int(elapsed/((life-time.Second)*3/4))+2)
	t.Logf("%d calls in %v: %d STS calls (%d–%d expected for %v credentials)", calls, elapsed.Round(time.Millisecond), stsCalls, max(1, lo), hi, life)
	if stsCalls < max(1, lo) || stsCalls > hi {
		t.Errorf("%d calls over %v made %d STS calls, want %d–%d", calls, elapsed, stsCalls, max(1, lo), hi)
	}
}

// (d) 32 helpers started together when the cached credentials are dead
// make one STS call between them, and all print the same credentials.
func TestRefreshConcurrentHelpersAtExpiryMakeOneSTSCall(t *testing.T) {
	t.Parallel()
	// Hour-long credentials, and the cached ones made to look expired:
	// on a busy machine 32 processes can take longer than short-lived
	// credentials last, and a second renewal would be right, not a bug.
	j := newJob(t, sandbox.Options{})
	line := credprocess.ProfileCommand(j.sourceArgs())
	helper := func() (string, error) {
		cmd := exec.Command("sh", "-c", line) // as aws-sdk-go-v2 runs it
		cmd.Env = j.environ()
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		j.record(stderr.String())
		if err != nil {
			return "", &cliError{err: err, stderr: stderr.String()}
		}
		return stdout.String(), nil
	}
	first, err := helper()
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := filepath.Glob(filepath.Join(j.dir, "cred-*.json"))
	if len(entries) != 1 {
		t.Fatalf("%d cache entries", len(entries))
	}
	expire(t, entries[0])
	before := webIdentityCalls(j.sb.STS)
	outs := make([]string, 32)
	errs := make([]error, 32)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Go(func() { outs[i], errs[i] = helper() })
	}
	wg.Wait()
	for i := range outs {
		if errs[i] != nil || outs[i] != outs[0] {
			t.Fatalf("helper %d: %v, same output as helper 0: %v", i, errs[i], outs[i] == outs[0])
		}
	}
	if outs[0] == first {
		t.Fatal("the helpers answered with the expired credentials")
	}
	if n := webIdentityCalls(j.sb.STS) - before; n != 1 {
		t.Errorf("32 helpers at expiry made %d STS calls, want 1", n)
	}
	if n := j.sb.Issuer.Minted(); n != 2 {
		t.Errorf("%d tokens minted for 2 refreshes", n)
	}
}

// expire rewrites a cache entry as if its credentials had expired a
// second ago, after living an hour.
func expire(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var e map[string]any
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	e["Expiration"], e["Issued"] = now.Add(-time.Second).Format(time.RFC3339Nano), now.Add(-time.Hour).Format(time.RFC3339Nano)
	if b, err = json.Marshal(e); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// (e) A later step of a job without id-token: write has no request
// variables: the CLI shows the helper's plain-worded error and its fix.
func TestRefreshWithoutIDTokenPermissionSaysWhatToAdd(t *testing.T) {
	t.Parallel()
	prereq.AWSCLIv2(t)
	j := newJob(t, sandbox.Options{})
	j.addProfile(t, "deploy", j.sourceArgs())
	_, err := j.cli(t, "deploy", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	var ce *cliError
	if !asCLIError(err, &ce) {
		t.Fatalf("the call succeeded or failed otherwise: %v", err)
	}
	t.Logf("the CLI showed:\n%s", ce.stderr)
	if !strings.Contains(ce.stderr, "add `permissions: id-token: write`") || strings.Contains(ce.stderr, "::") {
		t.Errorf("the CLI showed:\n%s", ce.stderr)
	}
	if n := j.sb.STS.Stats().Requests; n != 0 {
		t.Errorf("%d STS requests without a token", n)
	}
}

func asCLIError(err error, target **cliError) bool {
	ce, ok := err.(*cliError)
	if ok {
		*target = ce
	}
	return ok
}

// Role chaining with refresh: the chained role's credentials expire and
// the helper redoes both hops, session tags included.
func TestRefreshRoleChainThroughTheAWSCLI(t *testing.T) {
	t.Parallel()
	prereq.AWSCLIv2(t)
	const target = "arn:aws:iam::" + sandbox.Account + ":role/deployer"
	j := newJob(t, sandbox.Options{CredentialLifetime: shortLife})
	if err := j.sb.STS.AddRole(target, localsts.Role{TrustedRoles: []string{sandbox.RoleARN}, ExternalID: "ext-1"}); err != nil {
		t.Fatal(err)
	}
	tags := sessiontags.Build(func(k string) string { return map[string]string{"GITHUB_REPOSITORY": "octo-org/octo-repo"}[k] }, nil, nil)
	source := &rolehop.Hop{Role: inputs.Role{ARN: sandbox.RoleARN}, Region: "us-east-1", Endpoint: j.sb.STS.URL()}
	chain := credprocess.Args(rolehop.Hop{Role: inputs.Role{ARN: target}, SessionName: "chained", ExternalID: "ext-1", Tags: tags, Source: source})
	j.addProfile(t, "deployer", chain)
	for i := range 2 {
		arn, err := j.cli(t, "deployer")
		if err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
		if arn != "arn:aws:sts::"+sandbox.Account+":assumed-role/deployer/chained" {
			t.Errorf("call %d: ARN %q", i+1, arn)
		}
		if i == 0 {
			time.Sleep(shortLife + 500*time.Millisecond)
		}
	}
	var chained []localsts.RequestRecord
	for _, r := range j.sb.STS.Requests() {
		if r.Action == "AssumeRole" {
			chained = append(chained, r)
		}
	}
	if len(chained) < 2 {
		t.Fatalf("%d AssumeRole calls, want one per lifetime", len(chained))
	}
	for _, r := range chained {
		if r.Outcome != localsts.OutcomeSuccess || len(r.Tags) != 2 || r.Tags[1] != (localsts.Tag{Key: "Repository", Value: "octo-org/octo-repo"}) || r.ExternalID != "ext-1" {
			t.Errorf("chained call %+v", r)
		}
	}
	if chained[0].AccessKeyID == chained[len(chained)-1].AccessKeyID {
		t.Error("the last chained call was signed with the first hop's dead credentials")
	}
}

// A session policy with " #" or " ;" in it, which aws-sdk-go-v2's INI
// reader would take for the start of a comment if the line held it as is,
// reaches the helper whole through both clients.
func TestRefreshProfileWithCommentCharactersInThePolicy(t *testing.T) {
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::assets/release #1/*"},{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::assets/a ;b/*"}]}`
	j := newJob(t, sandbox.Options{})
	j.addProfile(t, "scoped", append(j.sourceArgs(), "--inline-session-policy", policy))
	t.Run("aws-sdk-go-v2 LoadDefaultConfig", func(t *testing.T) {
		for k, v := range j.env {
			t.Setenv(k, v)
		}
		cfg, err := config.LoadDefaultConfig(context.Background(), config.WithSharedConfigProfile("scoped"))
		if err != nil {
			t.Fatal(err)
		}
		c, err := cfg.Credentials.Retrieve(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c.AccessKeyID == "" || c.SessionToken == "" {
			t.Errorf("no credentials: key %q", c.AccessKeyID)
		}
	})
	t.Run("AWS CLI configure export-credentials", func(t *testing.T) {
		cmd := exec.Command(prereq.AWSCLIv2(t), "configure", "export-credentials", "--profile", "scoped", "--format", "process")
		cmd.Env = j.environ()
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		j.record(stderr.String())
		if err != nil {
			t.Fatalf("%v: %s", err, stderr.String())
		}
		var c struct{ AccessKeyId, SessionToken string }
		if err := json.Unmarshal(stdout.Bytes(), &c); err != nil || c.AccessKeyId == "" || c.SessionToken == "" {
			t.Errorf("no credentials (%v)", err)
		}
	})
	// Both clients share the helper's cache, so one call is enough.
	var policies int
	for _, r := range j.sb.STS.Requests() {
		if r.Action == "AssumeRoleWithWebIdentity" {
			if r.Policy != policy {
				t.Errorf("STS got the policy %q", r.Policy)
			}
			policies++
		}
	}
	if policies == 0 {
		t.Error("the helper never called STS")
	}
}
