package jobfiles_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/org/oidc-aws-action/pkg/jobdir"
	"github.com/org/oidc-aws-action/pkg/jobfiles"
)

// marker is how a post step's state gets a marker in the job's directory:
// the main step's own, or one an earlier step of the job planted there (the
// directory belongs to the runner's user, as every step does).
type marker func(t *testing.T, j *job, real jobfiles.CleanupState) string

var markers = map[string]marker{
	"the main step's marker": func(t *testing.T, j *job, real jobfiles.CleanupState) string { return real.Nonce },
	"a planted marker": func(t *testing.T, j *job, _ jobfiles.CleanupState) string {
		nonce := strings.Repeat("5a", 16)
		p := filepath.Join(j.temp, jobdir.Name, jobfiles.MarkerPrefix+nonce)
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		return nonce
	},
}

// realStep runs a main step that writes a profile into the job's directory
// and returns its state.
func realStep(t *testing.T, j *job) jobfiles.CleanupState {
	t.Helper()
	s := j.step(map[string]string{"aws-profile": "prod"}, nil)
	if s.code != ExitOK {
		t.Fatalf("exit %d\n%s", s.code, s.log.Text())
	}
	var st jobfiles.CleanupState
	if err := json.Unmarshal([]byte(s.state[jobfiles.StateKey]), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// postWith runs a post step with the state given as JSON.
func (j *job) postWith(t *testing.T, state map[string]any, env map[string]string) (int, string) {
	t.Helper()
	b, err := json.Marshal(state)
	if err != nil {
		t.Fatal(err)
	}
	code, log := j.post(&stepRun{state: map[string]string{jobfiles.StateKey: string(b)}}, env)
	return code, log.Text()
}

// Issue 17, item 8: the check that a file sits directly in the job's
// directory looked at the path's text, so <dir>/lnk/../victim passed it and
// the post step removed a file outside, through a symlink in the directory.
func TestPostStepRemovesNothingThroughADotDotAfterALink(t *testing.T) {
	t.Parallel()
	for name, mark := range markers {
		t.Run(name, func(t *testing.T) {
			j := newJob(t)
			real := realStep(t, j)
			outside := t.TempDir()
			victim := filepath.Join(outside, "victim")
			os.WriteFile(victim, []byte("keep me"), 0o600)
			os.Mkdir(filepath.Join(outside, "sub"), 0o700)
			dir := filepath.Join(j.temp, jobdir.Name)
			if err := os.Symlink(filepath.Join(outside, "sub"), filepath.Join(dir, "lnk")); err != nil {
				t.Fatal(err)
			}
			forged := dir + "/lnk/../victim"
			code, log := j.postWith(t, map[string]any{"profile": "prod", "remove": []string{forged}, "nonce": mark(t, j, real)}, nil)
			if b, err := os.ReadFile(victim); err != nil || string(b) != "keep me" {
				t.Errorf("the file outside the job's directory: %q, %v (post: exit %d)\n%s", b, err, code, log)
			}
		})
	}
}

// Issue 17, item 8: the state's config and credentials paths let the post
// step rewrite, and chmod 0600, any INI file the container reaches, such as
// the workspace's .git/config, which no variable of the job names.
func TestPostStepLeavesAnINIFileTheJobDoesNotName(t *testing.T) {
	t.Parallel()
	for name, mark := range markers {
		t.Run(name, func(t *testing.T) {
			j := newJob(t)
			real := realStep(t, j)
			git := filepath.Join(t.TempDir(), ".git")
			os.Mkdir(git, 0o755)
			gitConfig := filepath.Join(git, "config")
			const text = "[core]\n\tbare = false\n[profile dev]\nregion = eu-west-1\n"
			if err := os.WriteFile(gitConfig, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			if os.Geteuid() == 0 {
				// Owned by the runner's user, as a checkout is.
				gid := int(statOf(t, filepath.Join(j.temp, jobdir.Name)).Gid)
				os.Chown(gitConfig, int(statOf(t, filepath.Join(j.temp, jobdir.Name)).Uid), gid)
			}
			code, log := j.postWith(t, map[string]any{"profile": "dev", "config": gitConfig, "credentials": gitConfig, "nonce": mark(t, j, real)}, nil)
			st, err := os.Stat(gitConfig)
			b, _ := os.ReadFile(gitConfig)
			if err != nil || string(b) != text || st.Mode().Perm() != 0o644 {
				t.Errorf("%s after the post step: mode %v, %v:\n%s\n(post: exit %d)\n%s", gitConfig, st.Mode().Perm(), err, b, code, log)
			}
		})
	}
}

func statOf(t *testing.T, p string) *syscall.Stat_t {
	t.Helper()
	st, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t)
}

// The binary is the post step only when started as the post entrypoint;
// nothing in its environment makes it one.
func TestIsPostGoesByThePathStartedAs(t *testing.T) {
	for argv0, want := range map[string]bool{
		jobfiles.PostEntrypoint:  true,
		"./oidc-aws-post":        true,
		"/oidc-aws":              false,
		"oidc-aws":               false,
		"/oidc-aws-post/../oidc": false,
		"":                       false,
	} {
		if got := jobfiles.IsPost(argv0); got != want {
			t.Errorf("IsPost(%q) = %v, want %v", argv0, got, want)
		}
	}
}

// A main step that sees a post step's state in its environment runs as a
// main step, and says it ignored the value.
func TestTheMainStepIgnoresAPostStateAndSaysSo(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	s := j.step(nil, map[string]string{"STATE_OIDC_AWS_CLEANUP": "{}"})
	if s.code != ExitOK || s.env["AWS_ACCESS_KEY_ID"] == "" {
		t.Fatalf("exit %d, AWS_ACCESS_KEY_ID %q\n%s", s.code, s.env["AWS_ACCESS_KEY_ID"], s.log.Text())
	}
	if len(s.log.Warnings) != 1 || !strings.Contains(s.log.Warnings[0], "STATE_OIDC_AWS_CLEANUP is set in this step's environment") {
		t.Errorf("warnings %q", s.log.Warnings)
	}
}

// A post step whose main step saved no state (it was never reached, or ran
// by hand) has nothing to do, and says so.
func TestAPostStepWithoutStateRemovesNothing(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	code, log := j.post(&stepRun{}, nil)
	if code != ExitOK || !strings.Contains(log.Text(), "nothing to remove") {
		t.Errorf("exit %d\n%s", code, log.Text())
	}
}

// A file the job named gets the profile taken out only while it is still
// the file the job's variable names: the variable unchanged, the same
// directory, a regular file (not a link) of the runner's user.
func TestPostStepTakesTheProfileOutOfTheJobsOwnFileOnlyWhileItIsStillThatFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, own string, env map[string]string)
		left   string // "" when the profile must be taken out
	}{
		{"unchanged", func(*testing.T, string, map[string]string) {}, ""},
		{"rewritten by a later step (a new inode)", func(t *testing.T, own string, _ map[string]string) {
			b, _ := os.ReadFile(own)
			must(t, os.WriteFile(own+".tmp", b, 0o600))
			must(t, os.Rename(own+".tmp", own))
		}, ""},
		{"the variable now names another file", func(t *testing.T, own string, env map[string]string) {
			env["AWS_CONFIG_FILE"] = own + ".other"
		}, "AWS_CONFIG_FILE does not name it now"},
		{"its directory replaced", func(t *testing.T, own string, _ map[string]string) {
			d := filepath.Dir(own)
			must(t, os.Rename(d, d+".old"))
			must(t, os.Mkdir(d, 0o700))
			b, _ := os.ReadFile(filepath.Join(d+".old", filepath.Base(own)))
			must(t, os.WriteFile(own, b, 0o600))
		}, "its directory is not the one the main step wrote to"},
		{"a link in its place", func(t *testing.T, own string, _ map[string]string) {
			must(t, os.Rename(own, own+".real"))
			must(t, os.Symlink(own+".real", own))
		}, "it is not a regular file"},
		{"another user's", func(t *testing.T, own string, _ map[string]string) {
			if os.Geteuid() != 0 {
				t.Skip("needs root to give the file away")
			}
			must(t, os.Chown(own, 4242, 4242))
		}, "it does not belong to the runner's user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			j := newJob(t)
			own := filepath.Join(t.TempDir(), "aws", "config")
			must(t, os.Mkdir(filepath.Dir(own), 0o700))
			must(t, os.WriteFile(own, []byte("[profile mine]\nregion = eu-west-1\n"), 0o600))
			env := map[string]string{"AWS_CONFIG_FILE": own}
			s := j.step(map[string]string{"aws-profile": "dev"}, env)
			if s.code != ExitOK {
				t.Fatalf("exit %d\n%s", s.code, s.log.Text())
			}
			tc.change(t, own, env)
			code, log := j.post(s, env)
			b, _ := os.ReadFile(own)
			has := strings.Contains(string(b), "[profile dev]")
			switch {
			case code != ExitOK:
				t.Errorf("post: exit %d\n%s", code, log.Text())
			case tc.left == "" && (has || strings.Contains(log.Text(), "Warning")):
				t.Errorf("the profile was not taken out:\n%s\nlog:\n%s", b, log.Text())
			case tc.left != "" && (!has || !strings.Contains(log.Text(), tc.left)):
				t.Errorf("want the profile left and %q said; file:\n%s\nlog:\n%s", tc.left, b, log.Text())
			}
			if !strings.Contains(string(b), "[profile mine]") {
				t.Errorf("the job's own profile is gone:\n%s", b)
			}
		})
	}
}
