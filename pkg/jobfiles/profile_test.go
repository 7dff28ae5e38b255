package jobfiles_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/org/oidc-aws-action/pkg/action"
	"github.com/org/oidc-aws-action/pkg/internal/runnersim"
	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
	"github.com/org/oidc-aws-action/pkg/jobdir"
	"github.com/org/oidc-aws-action/pkg/jobfiles"
	"github.com/org/oidc-aws-action/pkg/workflow"
	"gopkg.in/ini.v1"
)

// job is the runner's temp directory shared by the steps of one job; each
// step gets its own file-command files in it, as the runner does.
type job struct {
	t    *testing.T
	sb   *sandbox.Sandbox
	temp string
	n    int
}

type stepRun struct {
	code  int
	log   *runnersim.Log
	env   map[string]string
	state map[string]string
}

// The step's exit codes.
const (
	ExitOK     = action.ExitOK
	ExitFailed = action.ExitFailed
)

func startSandbox(t *testing.T) *sandbox.Sandbox {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	return sb
}

func newJob(t *testing.T) *job {
	return &job{t: t, sb: startSandbox(t), temp: t.TempDir()}
}

func (j *job) step(with map[string]string, env map[string]string) *stepRun {
	t := j.t
	t.Helper()
	j.n++
	dir := filepath.Join(j.temp, "_runner_file_commands", "step"+string(rune('0'+j.n)))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	st, err := j.sb.NewStep(dir, with)
	if err != nil {
		t.Fatal(err)
	}
	stateFile := filepath.Join(dir, "github_state")
	os.WriteFile(stateFile, nil, 0o644)
	st.Env["RUNNER_TEMP"] = j.temp
	st.Env["GITHUB_STATE"] = stateFile
	for k, v := range env {
		st.Env[k] = v
	}
	var out bytes.Buffer
	code := action.Run(context.Background(), action.Options{Getenv: st.Getenv, Stdout: &out})
	res, err := st.Read()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(stateFile)
	state, err := runnersim.ParseFileCommands(b)
	if err != nil {
		t.Fatal(err)
	}
	return &stepRun{code: code, log: runnersim.ParseLog(out.Bytes()), env: res.Env, state: state}
}

// post runs the step's post step with its saved state, as the runner does.
func (j *job) post(s *stepRun, env map[string]string) (int, *runnersim.Log) {
	j.t.Helper()
	vars := map[string]string{}
	for k, v := range env {
		vars[k] = v
	}
	// The post step's own runner variables: the job's temp directory, and
	// a file-command file of its own.
	envFile := filepath.Join(j.temp, "_runner_file_commands", "post_env")
	os.MkdirAll(filepath.Dir(envFile), 0o755)
	os.WriteFile(envFile, nil, 0o644)
	vars["RUNNER_TEMP"], vars["GITHUB_ENV"] = j.temp, envFile
	for k, v := range s.state {
		vars["STATE_"+k] = v
	}
	getenv := func(k string) string { return vars[k] }
	if !jobfiles.IsPost(getenv) {
		j.t.Fatalf("the post step does not know itself: state %v", s.state)
	}
	var out bytes.Buffer
	code := ExitOK
	if !jobfiles.Cleanup(workflow.New(&out, getenv), getenv) {
		code = ExitFailed
	}
	return code, runnersim.ParseLog(out.Bytes())
}

func readINI(t *testing.T, path string) *ini.File {
	t.Helper()
	f, err := ini.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestAWSProfileWritesFilesForLaterSteps(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	s := j.step(map[string]string{"aws-profile": "deploy"}, nil)
	if s.code != ExitOK {
		t.Fatalf("exit %d\n%s", s.code, s.log.Text())
	}
	dir := filepath.Join(j.temp, jobdir.Name)
	want := map[string]string{"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials")}
	for k, v := range want {
		if s.env[k] != v {
			t.Errorf("%s = %q, want %q", k, s.env[k], v)
		}
	}
	// As configure-aws-credentials: with a profile, no variables unless
	// asked, not even the region, which would override every profile's.
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		if v, ok := s.env[k]; ok {
			t.Errorf("exported %s=%q", k, v)
		}
	}
	cred := readINI(t, want["AWS_SHARED_CREDENTIALS_FILE"]).Section("deploy")
	secret := cred.Key("aws_secret_access_key").String()
	if cred.Key("aws_access_key_id").String() == "" || secret == "" || cred.Key("aws_session_token").String() == "" {
		t.Fatalf("credentials [deploy] = %v", cred.KeysHash())
	}
	if !slices.Contains(s.log.Masks, secret) {
		t.Error("the secret key in the file was not masked")
	}
	if got := readINI(t, want["AWS_CONFIG_FILE"]).Section("profile deploy").Key("region").String(); got != "us-east-1" {
		t.Errorf("config region = %q", got)
	}
	for _, p := range []string{dir, want["AWS_CONFIG_FILE"], want["AWS_SHARED_CREDENTIALS_FILE"]} {
		st, _ := os.Stat(p)
		if perm := st.Mode().Perm(); perm != 0o600 && perm != 0o700 {
			t.Errorf("%s mode %v", p, perm)
		}
	}
}

func TestAWSProfileWithEnvCredentialsExportsAWSProfile(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	s := j.step(map[string]string{"aws-profile": "deploy", "output-env-credentials": "true"}, nil)
	if s.code != ExitOK {
		t.Fatalf("exit %d\n%s", s.code, s.log.Text())
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_CONFIG_FILE"} {
		if s.env[k] == "" {
			t.Errorf("%s not exported", k)
		}
	}
	if s.env["AWS_PROFILE"] != "deploy" {
		t.Errorf("AWS_PROFILE = %q", s.env["AWS_PROFILE"])
	}
}

func TestAnExistingProfileFailsBeforeAnyTokenUnlessOverwritten(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	if s := j.step(map[string]string{"aws-profile": "deploy"}, nil); s.code != ExitOK {
		t.Fatalf("first step: exit %d\n%s", s.code, s.log.Text())
	}
	minted := j.sb.Issuer.Stats().Minted
	s := j.step(map[string]string{"aws-profile": "deploy"}, nil)
	if s.code != ExitFailed || len(s.log.Errors) != 1 || !strings.Contains(s.log.Errors[0], `profile "deploy" is already in`) || !strings.Contains(s.log.Errors[0], "overwrite-aws-profile: true") {
		t.Fatalf("exit %d, errors %q", s.code, s.log.Errors)
	}
	if got := j.sb.Issuer.Stats().Minted; got != minted {
		t.Errorf("the refused step minted %d token(s)", got-minted)
	}
	if s := j.step(map[string]string{"aws-profile": "deploy", "overwrite-aws-profile": "true"}, nil); s.code != ExitOK {
		t.Fatalf("overwrite: exit %d\n%s", s.code, s.log.Text())
	}
}

func TestAJobSetConfigFileIsWrittenWhereItPoints(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	own := filepath.Join(t.TempDir(), "my-config")
	os.WriteFile(own, []byte("# mine\n[profile mine]\nregion = eu-west-1\n"), 0o600)
	s := j.step(map[string]string{"aws-profile": "deploy"}, map[string]string{"AWS_CONFIG_FILE": own})
	if s.code != ExitOK {
		t.Fatalf("exit %d\n%s", s.code, s.log.Text())
	}
	if _, ok := s.env["AWS_CONFIG_FILE"]; ok {
		t.Error("re-exported the job's own AWS_CONFIG_FILE")
	}
	if s.env["AWS_SHARED_CREDENTIALS_FILE"] == "" {
		t.Error("the credentials file the job did not set was not exported")
	}
	b, _ := os.ReadFile(own)
	if !strings.Contains(string(b), "# mine") || !strings.Contains(string(b), "[profile mine]") || !strings.Contains(string(b), "[profile deploy]") {
		t.Errorf("the job's config file:\n%s", b)
	}

	if s := j.step(map[string]string{"aws-profile": "other"}, map[string]string{"AWS_CONFIG_FILE": "relative/config"}); s.code != ExitFailed || !strings.Contains(strings.Join(s.log.Errors, "\n"), "not an absolute path") {
		t.Errorf("a relative AWS_CONFIG_FILE: exit %d, errors %q", s.code, s.log.Errors)
	}
}

func TestPostStepRemovesWhatTheStepsWrote(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	own := filepath.Join(t.TempDir(), "my-config")
	os.WriteFile(own, []byte("[profile mine]\nregion = eu-west-1\n"), 0o600)
	env := map[string]string{"AWS_CONFIG_FILE": own}
	first := j.step(map[string]string{"aws-profile": "dev"}, env)
	second := j.step(map[string]string{"aws-profile": "prod"}, env)
	if first.code != ExitOK || second.code != ExitOK {
		t.Fatalf("exits %d, %d\n%s\n%s", first.code, second.code, first.log.Text(), second.log.Text())
	}
	dir := filepath.Join(j.temp, jobdir.Name)
	// Post steps run in reverse order.
	for _, s := range []*stepRun{second, first} {
		if code, log := j.post(s, nil); code != ExitOK {
			t.Fatalf("post: exit %d\n%s", code, log.Text())
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(dir)
		t.Errorf("%s is still there: %v", dir, entries)
	}
	b, _ := os.ReadFile(own)
	if strings.Contains(string(b), "dev") || strings.Contains(string(b), "prod") || !strings.Contains(string(b), "[profile mine]") {
		t.Errorf("the job's own config file after cleanup:\n%s", b)
	}
}

func TestPostStepSkipsWithAWSSkipCleanupStep(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	s := j.step(map[string]string{"aws-profile": "dev"}, nil)
	if s.code != ExitOK {
		t.Fatalf("exit %d\n%s", s.code, s.log.Text())
	}
	code, log := j.post(s, map[string]string{"AWS_SKIP_CLEANUP_STEP": "true"})
	if code != ExitOK || !strings.Contains(log.Text(), "AWS_SKIP_CLEANUP_STEP") {
		t.Fatalf("exit %d\n%s", code, log.Text())
	}
	if _, err := os.Stat(s.env["AWS_CONFIG_FILE"]); err != nil {
		t.Errorf("the config file was removed: %v", err)
	}
}

func TestAStepWithoutAProfileLeavesNothingToClean(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	s := j.step(nil, nil)
	if s.code != ExitOK {
		t.Fatalf("exit %d\n%s", s.code, s.log.Text())
	}
	// The post step still knows itself, finds nothing to do, and says so.
	if code, log := j.post(s, nil); code != ExitOK || strings.TrimSpace(log.Text()) != "Post step: the main step wrote no files, so there is nothing to remove." {
		t.Errorf("post: exit %d, log %q", code, log.Text())
	}
	if entries, _ := os.ReadDir(j.temp); len(entries) != 1 {
		t.Errorf("RUNNER_TEMP holds %v, want only the file commands", entries)
	}
}

// A STATE_OIDC_AWS_CLEANUP the main step did not save (a job-level env: of
// that name, which reaches the main step too) removes nothing: not files
// outside the job's directory, not a profile in the job's own config file,
// and nothing through a symlink.
func TestPostStepRemovesNothingForAForgedState(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim")
	own := filepath.Join(outside, "config")
	os.WriteFile(victim, []byte("keep me"), 0o600)
	os.WriteFile(own, []byte("[profile dev]\nregion = eu-west-1\n"), 0o600)
	real := j.step(map[string]string{"aws-profile": "prod"}, nil)
	if real.code != ExitOK {
		t.Fatalf("exit %d\n%s", real.code, real.log.Text())
	}
	dir := filepath.Join(j.temp, jobdir.Name)
	link := filepath.Join(dir, "cred-link")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	var realState jobfiles.CleanupState
	if err := json.Unmarshal([]byte(real.state[jobfiles.StateKey]), &realState); err != nil {
		t.Fatal(err)
	}
	for name, forged := range map[string]jobfiles.CleanupState{
		"no marker":                      {Profile: "dev", Config: own, Remove: []string{victim}, Dir: outside},
		"a marker that is not there":     {Profile: "dev", Config: own, Remove: []string{victim}, Nonce: strings.Repeat("ab", 16)},
		"another directory as the job's": {Remove: []string{victim}, Dir: outside, Helper: outside, Nonce: realState.Nonce},
		"a nonce that is a path":         {Profile: "dev", Config: own, Nonce: "0/../" + jobfiles.MarkerPrefix + realState.Nonce},
	} {
		b, _ := json.Marshal(forged)
		code, log := j.post(&stepRun{state: map[string]string{jobfiles.StateKey: string(b)}}, nil)
		if code != ExitFailed || !strings.Contains(log.Text(), "was not saved by this action's main step") {
			t.Errorf("%s: exit %d\n%s", name, code, log.Text())
		}
	}
	// The real marker, with files outside the job's directory to remove,
	// and a symlink in it: the symlink goes, the files stay.
	realState.Remove = append(realState.Remove, victim, link)
	b, _ := json.Marshal(realState)
	if code, log := j.post(&stepRun{state: map[string]string{jobfiles.StateKey: string(b)}}, nil); code != ExitOK {
		t.Errorf("real marker: exit %d\n%s", code, log.Text())
	}
	if got, err := os.ReadFile(victim); err != nil || string(got) != "keep me" {
		t.Errorf("the file outside the job's directory: %q, %v", got, err)
	}
	if got, _ := os.ReadFile(own); !strings.Contains(string(got), "[profile dev]") {
		t.Errorf("the job's own config file lost its profile:\n%s", got)
	}
	if _, err := os.Lstat(link); !os.IsNotExist(err) {
		t.Errorf("the symlink in the job's directory is still there: %v", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 2 {
		t.Errorf("outside the job's directory: %v", entries)
	}
}
