package jobfiles_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/oidc-aws-action/pkg/jobdir"
)

// TestRefusedBeforeTheToken: whatever would stop a step from writing its
// profile and can be known before the token fails the step before it
// asks for one, so a job's mistake costs no token and no STS call. Each
// error names the input that asked for the profile.
func TestRefusedBeforeTheToken(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the job's directory another owner")
	}
	t.Parallel()
	type setup func(j *job) map[string]string
	dirIs := func(make func(dir string)) setup {
		return func(j *job) map[string]string { make(filepath.Join(j.temp, jobdir.Name)); return nil }
	}
	oneFile := func(j *job) map[string]string {
		f := filepath.Join(j.temp, "aws", "both")
		os.MkdirAll(filepath.Dir(f), 0o755)
		return map[string]string{"AWS_CONFIG_FILE": f, "AWS_SHARED_CREDENTIALS_FILE": f}
	}
	cases := []struct {
		name  string
		with  map[string]string
		setup setup
		want  []string
	}{
		{"a symlinked job directory", map[string]string{"aws-profile": "dev"},
			dirIs(func(dir string) { os.Symlink(os.TempDir(), dir) }),
			[]string{`input "aws-profile"`, "not a directory of this job's runner user"}},
		{"another user's job directory, with refresh-credentials only", map[string]string{"refresh-credentials": "true"},
			dirIs(func(dir string) { os.Mkdir(dir, 0o700); os.Chown(dir, 4242, 4242) }),
			[]string{`input "refresh-credentials"`, "not a directory of this job's runner user"}},
		{"a container step with no runner temp mounted", map[string]string{"aws-profile": "dev"},
			func(*job) map[string]string {
				return map[string]string{"RUNNER_TEMP": "/github/runner_temp", "GITHUB_ENV": "/github/file_commands/set_env_1", "RUNNER_WORKSPACE": "/home/runner/_work/repo"}
			},
			[]string{`input "aws-profile"`, "runner container hooks"}},
		{"a profile name the files cannot hold", map[string]string{"aws-profile": "two words"}, nil,
			[]string{`input "aws-profile"`}},
		{"DEFAULT without overwrite", map[string]string{"aws-profile": "DEFAULT"}, nil,
			[]string{`input "aws-profile"`, "DEFAULT"}},
		{"an existing profile without overwrite", map[string]string{"aws-profile": "dev"},
			func(j *job) map[string]string {
				f := filepath.Join(j.temp, "aws", "config")
				os.MkdirAll(filepath.Dir(f), 0o755)
				os.WriteFile(f, []byte("[profile dev]\nregion = eu-west-1\n"), 0o600)
				return map[string]string{"AWS_CONFIG_FILE": f}
			},
			[]string{`input "aws-profile"`, `profile "dev" is already in`}},
		{"a user file the AWS readers would read differently, with overwrite", map[string]string{"aws-profile": "dev", "overwrite-aws-profile": "true"},
			func(j *job) map[string]string {
				f := filepath.Join(j.temp, "aws", "config")
				os.MkdirAll(filepath.Dir(f), 0o755)
				os.WriteFile(f, []byte("[DEFAULT]\nregion = eu-west-1\n"), 0o600)
				return map[string]string{"AWS_CONFIG_FILE": f}
			},
			[]string{`input "aws-profile"`, "line 1"}},
		{"one file for both variables", map[string]string{"aws-profile": "dev"}, oneFile,
			[]string{`input "aws-profile"`, "are one file"}},
		{"one file for both variables, with refresh-credentials", map[string]string{"refresh-credentials": "true"}, oneFile,
			[]string{`input "refresh-credentials"`, "are one file"}},
		{"the config file named as the job directory's credentials file", map[string]string{"aws-profile": "dev"},
			func(j *job) map[string]string {
				return map[string]string{"AWS_CONFIG_FILE": filepath.Join(j.temp, jobdir.Name, "credentials")}
			},
			[]string{"are one file"}},
		{"keys for /dev/null", map[string]string{"aws-profile": "dev"},
			func(*job) map[string]string { return map[string]string{"AWS_SHARED_CREDENTIALS_FILE": os.DevNull} },
			[]string{`input "aws-profile"`, "AWS_SHARED_CREDENTIALS_FILE is /dev/null, where the profile's keys cannot be written"}},
		{"a refreshable profile for /dev/null", map[string]string{"refresh-credentials": "true"},
			func(*job) map[string]string { return map[string]string{"AWS_CONFIG_FILE": os.DevNull} },
			[]string{`input "refresh-credentials"`, "AWS_CONFIG_FILE is /dev/null"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			j := newJob(t)
			var env map[string]string
			if c.setup != nil {
				env = c.setup(j)
			}
			s := j.step(c.with, env)
			text := s.log.Text()
			if s.code != ExitFailed || len(s.log.Errors) != 1 {
				t.Fatalf("exit %d, errors %q\n%s", s.code, s.log.Errors, text)
			}
			for _, w := range c.want {
				if !strings.Contains(s.log.Errors[0], w) {
					t.Errorf("error lacks %q:\n%s", w, s.log.Errors[0])
				}
			}
			if strings.Contains(s.log.Errors[0], `input "aws-profile"`) && c.with["aws-profile"] == "" {
				t.Errorf("the error names aws-profile, which the step did not set:\n%s", s.log.Errors[0])
			}
			if n := j.sb.Issuer.Stats().Minted; n != 0 {
				t.Errorf("%d token(s) minted before the refusal", n)
			}
			if n := j.sb.STS.Stats().Requests; n != 0 {
				t.Errorf("%d STS call(s) before the refusal", n)
			}
		})
	}
}

// TestRefreshWithNoCredentialsFile: AWS_SHARED_CREDENTIALS_FILE=/dev/null
// is a common way to turn the credentials file off, and a refreshable
// profile has nothing to put there, so the step leaves it as the job set
// it and writes only the config file.
func TestRefreshWithNoCredentialsFile(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	s := j.step(map[string]string{"refresh-credentials": "true"}, map[string]string{"AWS_SHARED_CREDENTIALS_FILE": os.DevNull})
	if s.code != ExitOK {
		t.Fatalf("exit %d\n%s", s.code, s.log.Text())
	}
	dir := filepath.Join(j.temp, jobdir.Name)
	if got := s.env["AWS_CONFIG_FILE"]; got != filepath.Join(dir, "config") {
		t.Errorf("AWS_CONFIG_FILE=%q", got)
	}
	if v, ok := s.env["AWS_SHARED_CREDENTIALS_FILE"]; ok {
		t.Errorf("AWS_SHARED_CREDENTIALS_FILE=%q exported over the job's /dev/null", v)
	}
	if _, err := os.Lstat(filepath.Join(dir, "credentials")); !os.IsNotExist(err) {
		t.Errorf("a credentials file was made in the job's directory: %v", err)
	}
	if st, err := os.Stat(os.DevNull); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("/dev/null is no longer the null device: %v %v", st, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "config")); !strings.Contains(string(b), "credential_process") {
		t.Errorf("config:\n%s", b)
	}
	if code, log := j.post(s, map[string]string{"AWS_SHARED_CREDENTIALS_FILE": os.DevNull}); code != ExitOK {
		t.Fatalf("post: %s", log.Text())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		left, _ := os.ReadDir(dir)
		t.Errorf("post left %v", left)
	}
}
