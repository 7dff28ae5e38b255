package jobfiles_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/org/oidc-aws-action/pkg/awsprofile"
	"github.com/org/oidc-aws-action/pkg/credprocess"
	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
	"github.com/org/oidc-aws-action/pkg/jobdir"
)

func TestRefreshCredentialsWritesAHelperProfileAndNoKeys(t *testing.T) {
	j := newJob(t)
	s := j.step(map[string]string{"refresh-credentials": "true"}, map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEARLIER", "AWS_SECRET_ACCESS_KEY": "earlier"})
	if s.code != 0 {
		t.Fatalf("exit %d\n%s", s.code, s.log.Text())
	}
	dir := filepath.Join(j.temp, jobdir.Name)
	// The credential variables are cleared whether or not this container
	// saw them: the runner's own environment never reaches it.
	for k, want := range map[string]string{"AWS_PROFILE": "default", credprocess.DirVariable: dir, "AWS_CONFIG_FILE": filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_ACCESS_KEY_ID":           "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_CREDENTIAL_EXPIRATION": "",
		"AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_ROLE_ARN": ""} {
		if got, ok := s.env[k]; got != want || !ok {
			t.Errorf("%s=%q (set: %v), want %q", k, got, ok, want)
		}
	}
	// No credentials are written, so the log names only the config file;
	// the credentials file is there, empty, so that later steps read no
	// other (the runner user's ~/.aws/credentials).
	if want := `Wrote profile "default" to ` + filepath.Join(dir, "config") + "\n"; !strings.Contains(s.log.Text(), want) {
		t.Errorf("log lacks %q:\n%s", want, s.log.Text())
	}
	if fi, err := os.Lstat(filepath.Join(dir, "credentials")); err != nil || fi.Size() != 0 || fi.Mode() != 0o600 {
		t.Errorf("credentials file: %v %v", fi, err)
	}
	if v, ok := s.env["AWS_REGION"]; ok {
		t.Errorf("exported AWS_REGION=%q", v)
	}
	if !strings.Contains(s.log.Text(), "Cleared AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, left by an earlier step") {
		t.Errorf("log:\n%s", s.log.Text())
	}
	line := readINI(t, filepath.Join(dir, "config")).Section("default").Key("credential_process").String()
	args, ok := credprocess.ParseProfileCommand(line)
	if !ok || !slices.Contains(args, sandbox.RoleARN) || !slices.Contains(args, j.sb.STS.URL()) {
		t.Errorf("credential_process %q", line)
	}
	if fi, err := os.Stat(filepath.Join(dir, credprocess.Executable)); err != nil || fi.Mode().Perm() != 0o500 {
		t.Errorf("helper: %v %v", fi, err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "cred-*.json")); len(m) != 1 {
		t.Errorf("cache entries %v, want the step's", m)
	}
	if code, log := j.post(s, nil); code != 0 {
		t.Fatalf("post: %s", log.Text())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		left, _ := os.ReadDir(dir)
		t.Errorf("post left %v", left)
	}
}

func TestRefreshChainingNeedsARefreshableSourceProfile(t *testing.T) {
	j := newJob(t)
	hub := j.step(map[string]string{"aws-profile": "hub"}, nil)
	if hub.code != 0 {
		t.Fatalf("exit %d\n%s", hub.code, hub.log.Text())
	}
	before := j.sb.STS.Stats().Requests
	s := j.step(map[string]string{"refresh-credentials": "true", "role-chaining": "true", "aws-profile": "deployer"},
		map[string]string{"AWS_PROFILE": "hub", "AWS_CONFIG_FILE": hub.env["AWS_CONFIG_FILE"], "AWS_SHARED_CREDENTIALS_FILE": hub.env["AWS_SHARED_CREDENTIALS_FILE"]})
	// The config file, where a credential_process would be, named once.
	names := "and AWS_CONFIG_FILE (" + hub.env["AWS_CONFIG_FILE"] + ") has none named"
	if s.code == 0 || !strings.Contains(s.log.Text(), "starts from a refreshable profile of this action") || !strings.Contains(s.log.Text(), names) || !strings.Contains(s.log.Text(), "refresh-credentials: true as well") {
		t.Errorf("exit %d\n%s", s.code, s.log.Text())
	}
	if n := j.sb.STS.Stats().Requests; n != before {
		t.Errorf("%d STS calls before the refusal", n-before)
	}
}

// Post steps run in reverse order, and another action's post step may run
// between them and still use the first step's profile: the later step's
// post leaves the helper and its cache to the last post step.
func TestRefreshLaterPostStepLeavesTheEarlierProfileWorking(t *testing.T) {
	j := newJob(t)
	a := j.step(map[string]string{"refresh-credentials": "true"}, nil)
	b := j.step(map[string]string{"refresh-credentials": "true", "aws-profile": "b"}, nil)
	for _, s := range []*stepRun{a, b} {
		if s.code != 0 {
			t.Fatalf("exit %d\n%s", s.code, s.log.Text())
		}
	}
	dir := filepath.Join(j.temp, jobdir.Name)
	helper := filepath.Join(dir, credprocess.Executable)
	if code, log := j.post(b, nil); code != 0 {
		t.Fatalf("post b: %s", log.Text())
	}
	if _, err := os.Stat(helper); err != nil {
		t.Errorf("post b removed profile default's helper: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "cred-*.json")); len(m) == 0 {
		t.Error("post b removed profile default's cache")
	}
	cfg := readINI(t, filepath.Join(dir, "config"))
	if cfg.Section("default").Key("credential_process").String() == "" {
		t.Error("post b removed profile default")
	}
	if cfg.HasSection("profile b") {
		t.Error("post b left its own profile")
	}
	if code, log := j.post(a, nil); code != 0 {
		t.Fatalf("post a: %s", log.Text())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		left, _ := os.ReadDir(dir)
		t.Errorf("post a left %v", left)
	}
}

// A credentials file the job named itself is the one later steps read: it
// is neither re-exported nor replaced by one in the job's directory.
func TestRefreshKeepsTheJobsOwnCredentialsFile(t *testing.T) {
	j := newJob(t)
	own := filepath.Join(t.TempDir(), "my-credentials")
	s := j.step(map[string]string{"refresh-credentials": "true"}, map[string]string{"AWS_SHARED_CREDENTIALS_FILE": own})
	if s.code != 0 {
		t.Fatalf("exit %d\n%s", s.code, s.log.Text())
	}
	if v, ok := s.env["AWS_SHARED_CREDENTIALS_FILE"]; ok {
		t.Errorf("exported AWS_SHARED_CREDENTIALS_FILE=%q over the job's own", v)
	}
	dir := filepath.Join(j.temp, jobdir.Name)
	if _, err := os.Lstat(filepath.Join(dir, "credentials")); !os.IsNotExist(err) {
		t.Errorf("a credentials file in the job's directory: %v", err)
	}
	if code, log := j.post(s, nil); code != 0 {
		t.Fatalf("post: %s", log.Text())
	}
}

// The profile a refreshable chain starts from is read as a role hop
// before any network call: one that is itself a chain, or whose helper
// flags the helper would refuse, fails the step at once, naming the
// profile.
func TestRefreshChainingChecksTheSourceProfilesHop(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/deploy"
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"a chain", []string{"--role-to-assume", role, "--aws-region", "us-east-1", "--chain-role-to-assume", role},
			[]string{"is itself a role chain", "chain from the profile of the first role"}},
		{"invalid helper flags", []string{"--role-to-assume", role, "--aws-region", "us east"},
			[]string{`profile "hub" to chain from`, `input "aws-region"`, "write the profile again"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := newJob(t)
			dir := t.TempDir()
			f := awsprofile.Files{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials"), UID: -1, GID: -1}
			if _, err := f.Write(awsprofile.Profile{Name: "hub", Region: "us-east-1", CredentialProcess: credprocess.ProfileCommand(c.args)}, false); err != nil {
				t.Fatal(err)
			}
			s := j.step(map[string]string{"refresh-credentials": "true", "role-chaining": "true", "aws-profile": "deployer"},
				map[string]string{"AWS_PROFILE": "hub", "AWS_CONFIG_FILE": f.Config, "AWS_SHARED_CREDENTIALS_FILE": f.Credentials})
			for _, w := range c.want {
				if s.code == 0 || !strings.Contains(s.log.Text(), w) {
					t.Errorf("exit %d, want a failure saying %q:\n%s", s.code, w, s.log.Text())
				}
			}
			if n := j.sb.STS.Stats().Requests + j.sb.Issuer.Minted(); n != 0 {
				t.Errorf("%d STS calls and tokens before the refusal", n)
			}
		})
	}
}
