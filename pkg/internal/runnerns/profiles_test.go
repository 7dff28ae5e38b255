package runnerns

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"gopkg.in/ini.v1"

	"github.com/org/oidc-aws-action/pkg/internal/localsts"
	"github.com/org/oidc-aws-action/pkg/internal/prereq"
	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
	"github.com/org/oidc-aws-action/pkg/jobdir"
)

// runnerUID is the runner's user, as on GitHub's hosted runners.
const runnerUID = 1001

// sdkStep, set in the environment, makes the test binary a later step
// that asks STS who it is with aws-sdk-go-v2's default configuration: the
// profile named in it, the files from AWS_CONFIG_FILE and
// AWS_SHARED_CREDENTIALS_FILE, nothing else.
const sdkStep = "RUNNERNS_SDK_PROFILE"

// sdkStepNoProfile, set in the environment, makes the test binary a later
// step that loads aws-sdk-go-v2's default configuration with no profile
// chosen in code, as Terraform's provider without `profile` does: the
// environment, AWS_PROFILE included, decides the credentials.
const sdkStepNoProfile = "RUNNERNS_SDK_NO_PROFILE"

func TestMain(m *testing.M) {
	if p := os.Getenv(sdkStep); p != "" {
		os.Exit(callerIdentity(p, os.Getenv("RUNNERNS_STS")))
	}
	if os.Getenv(sdkStepNoProfile) != "" {
		os.Exit(callerIdentity("", os.Getenv("RUNNERNS_STS")))
	}
	code := m.Run()
	if built.path != "" {
		os.RemoveAll(filepath.Dir(built.path))
	}
	os.Exit(code)
}

func callerIdentity(profile, endpoint string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var opts []func(*config.LoadOptions) error
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "LoadDefaultConfig:", err)
		return 1
	}
	out, err := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = &endpoint }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "GetCallerIdentity:", err)
		return 1
	}
	fmt.Println(*out.Arn, cfg.Region)
	return 0
}

type world struct {
	sb       *sandbox.Sandbox
	bin      string // the action, built as the Dockerfile builds it
	testBin  string // this test binary, for the SDK step
	cli      string
	root     string
	roles    map[string]string // profile → role ARN
	accounts map[string]string
}

const otherAccount = "210987654321"

func newWorld(t *testing.T) *world { return newWorldWith(t, sandbox.Options{}) }

func newWorldWith(t *testing.T, o sandbox.Options) *world {
	t.Helper()
	if err := Available(); err != nil {
		prereq.Missing(t, "runner emulation unavailable:", err)
	}
	cli := prereq.AWSCLIv2(t)
	sb, err := sandbox.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	w := &world{sb: sb, cli: cli,
		roles:    map[string]string{"dev": sandbox.RoleARN, "prod": "arn:aws:iam::" + otherAccount + ":role/prod"},
		accounts: map[string]string{"dev": sandbox.Account, "prod": otherAccount},
	}
	// A second account with its own OIDC provider and role.
	if err := sb.STS.AddProvider(localsts.Provider{IssuerURL: sb.Issuer.IssuerURL(), JWKSURL: sb.Issuer.JWKSURL(), ClientIDs: []string{"sts.amazonaws.com"}, AccountID: otherAccount}); err != nil {
		t.Fatal(err)
	}
	policy := strings.ReplaceAll(sandbox.DefaultTrustPolicy, sandbox.Account, otherAccount)
	if err := sb.STS.AddRole(w.roles["prod"], localsts.Role{TrustPolicy: []byte(policy)}); err != nil {
		t.Fatal(err)
	}
	// The runner's user must reach the job's directories.
	w.root, err = os.MkdirTemp("", "runnerns-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(w.root) })
	if err := os.Chmod(w.root, 0o755); err != nil {
		t.Fatal(err)
	}
	w.bin = builtAction(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	w.testBin = filepath.Join(w.root, "sdk-step")
	if err := copyFile(self, w.testBin, 0o755); err != nil {
		t.Fatal(err)
	}
	return w
}

var built struct {
	once sync.Once // tests that run in parallel build once
	path string
	err  error
}

func builtAction(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "runnerns-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.path, built.err = sandbox.Build(dir)
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// assumed is the session ARN STS gives the profile's role.
func (w *world) assumed(profile string) string {
	arn := w.roles[profile]
	return "arn:aws:sts::" + w.accounts[profile] + ":assumed-role/" + arn[strings.LastIndex(arn, "/")+1:] + "/GitHubActions"
}

// stepEnv is the action step's own environment: its inputs and the
// runner's token variables, host values.
func (w *world) stepEnv(t *testing.T, with map[string]string) map[string]string {
	t.Helper()
	st, err := w.sb.NewStep(t.TempDir(), with)
	if err != nil {
		t.Fatal(err)
	}
	env := st.Env
	for _, k := range []string{"GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE", "GITHUB_ACTIONS"} {
		delete(env, k)
	}
	return env
}

// secrets collects every credential part in the job's files.
func secrets(t *testing.T, credFile string) []string {
	t.Helper()
	f, err := ini.Load(credFile)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range f.Sections() {
		for _, k := range s.Keys() {
			out = append(out, k.Value())
		}
	}
	return out
}

// TestProfilesForTwoRolesInOneLaterStep covers the tests (a), (f)
// and (g), in a plain job and in a `container:` job.
func TestProfilesForTwoRolesInOneLaterStep(t *testing.T) {
	for _, k := range jobKinds {
		t.Run(k.name, func(t *testing.T) { twoProfiles(t, k.container) })
	}
}

func twoProfiles(t *testing.T, container bool) {
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	j := w.newJob(t, container)
	var shown []*Result // everything the runner would show or keep

	regions := map[string]string{"dev": "us-east-1", "prod": "eu-west-1"}
	var steps []*Step
	for _, p := range []string{"dev", "prod"} {
		st, res := w.actionStep(ctx, t, j, w.stepEnv(t, map[string]string{"role-to-assume": w.roles[p], "aws-region": regions[p], "aws-profile": p}))
		shown = append(shown, res)
		steps = append(steps, st)
	}

	// The runner's paths are exported; later steps see them as their own.
	dir := filepath.Join(j.Temp, jobdir.Name)
	config, creds := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	if j.Env["AWS_CONFIG_FILE"] != config || j.Env["AWS_SHARED_CREDENTIALS_FILE"] != creds {
		t.Fatalf("exported AWS_CONFIG_FILE=%q AWS_SHARED_CREDENTIALS_FILE=%q, want %s and %s", j.Env["AWS_CONFIG_FILE"], j.Env["AWS_SHARED_CREDENTIALS_FILE"], config, creds)
	}
	wantSeen := config
	if container {
		wantSeen = "/__w/_temp/oidc-aws/config"
	}
	res, err := j.RunLater(ctx, []string{"/usr/bin/printenv", "AWS_CONFIG_FILE"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(res.Stdout)); got != wantSeen {
		t.Errorf("a later step sees AWS_CONFIG_FILE=%q, want %q", got, wantSeen)
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION"} {
		if v, ok := j.Env[k]; ok {
			t.Errorf("exported %s=%q with aws-profile", k, v)
		}
	}

	// Owned like the runner's own files, readable by nobody else.
	ownedByTheRunner(t, map[string]os.FileMode{dir: 0o700, config: 0o600, creds: 0o600})
	secretValues := secrets(t, creds)

	// (a) Both profiles work in one later step, with the AWS CLI v2 and
	// with aws-sdk-go-v2, as the runner's user.
	script := fmt.Sprintf(`set -e
%[1]s sts get-caller-identity --profile dev --endpoint-url "$STS" --query Arn --output text
%[1]s sts get-caller-identity --profile prod --endpoint-url "$STS" --query Arn --output text
%[1]s configure get region --profile prod
`, w.cli)
	res, err = j.RunLater(ctx, []string{"/bin/sh", "-c", script}, map[string]string{"STS": w.sb.STS.URL()})
	if err != nil {
		t.Fatal(err)
	}
	shown = append(shown, res)
	want := w.assumed("dev") + "\n" + w.assumed("prod") + "\neu-west-1\n"
	if res.ExitCode != 0 || string(res.Stdout) != want {
		t.Errorf("aws CLI in one later step: exit %d\n%s\nwant\n%s\nstderr: %s", res.ExitCode, res.Stdout, want, res.Stderr)
	}
	testBin := filepath.Join(j.Work, "sdk-step")
	if err := copyFile(w.testBin, testBin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"dev", "prod"} {
		res, err := j.RunLater(ctx, []string{testBin}, map[string]string{sdkStep: p, "RUNNERNS_STS": w.sb.STS.URL()})
		if err != nil {
			t.Fatal(err)
		}
		shown = append(shown, res)
		want := w.assumed(p) + " " + regions[p] + "\n"
		if res.ExitCode != 0 || string(res.Stdout) != want {
			t.Errorf("aws-sdk-go-v2 LoadDefaultConfig, profile %s: exit %d, %q, want %q; stderr: %s", p, res.ExitCode, res.Stdout, want, res.Stderr)
		}
	}
	os.Remove(testBin)

	// (f) The post steps, in reverse order, remove every file the action
	// wrote, and leave nothing owned by root in the runner's temp.
	shown = append(shown, w.postSteps(ctx, t, j, steps[1], steps[0])...)
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Errorf("%s is still there after the post steps", dir)
	}
	filepath.WalkDir(j.Temp, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, _ := d.Info()
		if sys := info.Sys().(*syscall.Stat_t); sys.Uid == 0 {
			t.Errorf("root-owned leftover in RUNNER_TEMP: %s", p)
		}
		if strings.Contains(p, jobdir.Name) {
			t.Errorf("leftover: %s", p)
		}
		return nil
	})

	// (g) No secret in anything the runner shows or keeps: the log after
	// masking, and stderr, which the runner shows unmasked by the action.
	for i, r := range shown {
		visible := r.Log().Text() + string(r.Stderr)
		for _, s := range secretValues {
			if len(s) >= 8 && strings.Contains(visible, s) {
				t.Errorf("process %d shows a credential part (%d chars)", i, len(s))
			}
		}
	}
}

// TestAJobSetConfigFile: the job's own AWS_CONFIG_FILE is used when the
// action's container can reach it, and refused with a clear message when
// not, rather than written where no later step would look.
func TestAJobSetConfigFile(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	j := w.newJob(t, false)
	with := map[string]string{"role-to-assume": w.roles["dev"], "aws-profile": "dev"}

	j.Env["AWS_CONFIG_FILE"] = filepath.Join(j.userHome(), ".aws", "config")
	st, _ := j.NewStep()
	res, err := j.RunAction(ctx, w.bin, st, w.stepEnv(t, with))
	if err != nil {
		t.Fatal(err)
	}
	if log := res.Log(); res.ExitCode != 1 || len(log.Errors) != 1 || !strings.Contains(log.Errors[0], "which this action's container cannot reach") {
		t.Fatalf("unreachable AWS_CONFIG_FILE: exit %d, errors %q", res.ExitCode, log.Errors)
	}
	if n := w.sb.Issuer.Stats().Minted; n != 0 {
		t.Errorf("the refused step minted %d token(s)", n)
	}

	own := filepath.Join(j.Temp, "aws", "config")
	os.MkdirAll(filepath.Dir(own), 0o755)
	os.WriteFile(own, []byte("# the job's own\n[profile mine]\nregion = ap-south-1\n"), 0o644)
	os.Chown(own, runnerUID, runnerUID)
	j.Env["AWS_CONFIG_FILE"] = own
	w.actionStep(ctx, t, j, w.stepEnv(t, with))
	if j.Env["AWS_CONFIG_FILE"] != own {
		t.Errorf("AWS_CONFIG_FILE became %q", j.Env["AWS_CONFIG_FILE"])
	}
	res, err = j.RunLater(ctx, []string{w.cli, "sts", "get-caller-identity", "--profile", "dev", "--endpoint-url", w.sb.STS.URL(), "--query", "Arn", "--output", "text"}, nil)
	succeeded(t, "aws CLI", res, err)
	if got := strings.TrimSpace(string(res.Stdout)); got != w.assumed("dev") {
		t.Errorf("aws CLI: %q", got)
	}
	b, _ := os.ReadFile(own)
	if !strings.Contains(string(b), "# the job's own") || !strings.Contains(string(b), "[profile mine]") {
		t.Errorf("the job's config file lost its own content:\n%s", b)
	}
}

// TestRoleChainingFromAProfile: configure-aws-credentials' pattern for
// chaining with profiles, where the second step names the first profile in
// AWS_PROFILE, works here too.
func TestRoleChainingFromAProfile(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	j := w.newJob(t, false)
	w.actionStep(ctx, t, j, w.stepEnv(t, map[string]string{"role-to-assume": w.roles["dev"], "aws-profile": "hub"}))
	env := w.stepEnv(t, map[string]string{"role-to-assume": w.roles["prod"], "aws-profile": "target", "role-chaining": "true"})
	env["AWS_PROFILE"] = "hub" // the step's own env:, as in configure-aws-credentials' README
	w.actionStep(ctx, t, j, env)
	res, err := j.RunLater(ctx, []string{w.cli, "sts", "get-caller-identity", "--profile", "target", "--endpoint-url", w.sb.STS.URL(), "--query", "Arn", "--output", "text"}, nil)
	succeeded(t, "aws CLI with the chained profile", res, err)
	if got := strings.TrimSpace(string(res.Stdout)); got != w.assumed("prod") {
		t.Errorf("aws CLI with the chained profile: %q", got)
	}
}

// jobKinds are the two ways a job runs its steps: on the runner itself,
// and in a `container:` job.
var jobKinds = []struct {
	name      string
	container bool
}{{"plain job", false}, {"container job", true}}

// newJob makes a job on the emulated runner, under w.root.
func (w *world) newJob(t *testing.T, container bool) *Job {
	t.Helper()
	jobRoot, err := os.MkdirTemp(w.root, "job-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(jobRoot, 0o755)
	j, err := NewJob(jobRoot, runnerUID, runnerUID, container)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// actionStep runs the action as the job's next step with env on top of
// the job's variables, fails t unless it succeeds, and applies its file
// commands to the job as the runner does.
func (w *world) actionStep(ctx context.Context, t *testing.T, j *Job, env map[string]string) (*Step, *Result) {
	t.Helper()
	st, err := j.NewStep()
	if err != nil {
		t.Fatal(err)
	}
	res, err := j.RunAction(ctx, w.bin, st, env)
	succeeded(t, "action step", res, err)
	if err := j.Apply(st); err != nil {
		t.Fatal(err)
	}
	return st, res
}

// postSteps runs the post steps of steps, in that order, and fails t
// unless each succeeds.
func (w *world) postSteps(ctx context.Context, t *testing.T, j *Job, steps ...*Step) []*Result {
	t.Helper()
	var out []*Result
	for _, st := range steps {
		res, err := j.RunPost(ctx, w.bin, st, nil)
		succeeded(t, "post step", res, err)
		out = append(out, res)
	}
	return out
}

// ownedByTheRunner checks that each file has its mode and belongs to the
// runner's user, as the runner's own files do.
func ownedByTheRunner(t *testing.T, modes map[string]os.FileMode) {
	t.Helper()
	for p, mode := range modes {
		st, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		sys := st.Sys().(*syscall.Stat_t)
		if st.Mode().Perm() != mode || sys.Uid != runnerUID || sys.Gid != runnerUID {
			t.Errorf("%s: mode %v owner %d:%d, want %v %d:%d", p, st.Mode().Perm(), sys.Uid, sys.Gid, mode, runnerUID, runnerUID)
		}
	}
}

func succeeded(t *testing.T, what string, res *Result, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("%s: exit %d\n%s\nstderr: %s", what, res.ExitCode, res.Log().Text(), res.Stderr)
	}
}
