package jobdir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// hostStep is a step whose binary runs on the runner itself, as the
// in-process tests and a run by hand do.
func hostStep(t *testing.T) (temp string, vars map[string]string) {
	t.Helper()
	temp = t.TempDir()
	envFile := filepath.Join(temp, "_runner_file_commands_set_env")
	if err := os.WriteFile(envFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		os.Chown(envFile, 1001, 1002)
	}
	return temp, map[string]string{"RUNNER_TEMP": temp, "GITHUB_ENV": envFile}
}

func TestOnTheRunnerThePathsAreTheRunners(t *testing.T) {
	temp, vars := hostStep(t)
	d, err := Find(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	path, later := d.File("config")
	if want := filepath.Join(temp, Name, "config"); path != want || later != want {
		t.Errorf("File = %s, %s; want %s twice", path, later, want)
	}
	if os.Geteuid() == 0 && (d.UID != 1001 || d.GID != 1002) {
		t.Errorf("owner %d:%d, want GITHUB_ENV's 1001:1002", d.UID, d.GID)
	}
}

func TestFindFailsWhereItCannotTell(t *testing.T) {
	_, vars := hostStep(t)
	cases := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"no RUNNER_TEMP", map[string]string{"RUNNER_TEMP": ""}, "RUNNER_TEMP or GITHUB_ENV is not set"},
		{"a relative RUNNER_TEMP", map[string]string{"RUNNER_TEMP": "tmp"}, "not an absolute path"},
		{"a RUNNER_TEMP that is not here", map[string]string{"RUNNER_TEMP": "/nonexistent/_temp"}, "not a directory here"},
		{"the container's temp without its file commands", map[string]string{"RUNNER_TEMP": "/github/runner_temp"}, "not the runner's container layout"},
		{"the container layout without RUNNER_WORKSPACE", map[string]string{"RUNNER_TEMP": "/github/runner_temp", "GITHUB_ENV": "/github/file_commands/set_env_1"}, "RUNNER_WORKSPACE is \"\""},
		{"the container layout with a translated RUNNER_WORKSPACE", map[string]string{"RUNNER_TEMP": "/github/runner_temp", "GITHUB_ENV": "/github/file_commands/set_env_1", "RUNNER_WORKSPACE": "/github/workspace"}, "not the runner's own path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]string{}
			for k, v := range vars {
				m[k] = v
			}
			for k, v := range tc.set {
				m[k] = v
			}
			_, err := Find(env(m))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCreate(t *testing.T) {
	_, vars := hostStep(t)
	d, err := Find(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	if created, err := d.Create(); err != nil || !created {
		t.Fatalf("Create = %v, %v; want a new directory", created, err)
	}
	st, _ := os.Lstat(d.Path)
	if st.Mode().Perm() != 0o700 || int(st.Sys().(*syscall.Stat_t).Uid) != d.UID {
		t.Errorf("directory mode %v uid %d, want 0700 and %d", st.Mode().Perm(), st.Sys().(*syscall.Stat_t).Uid, d.UID)
	}
	// A later step of the same job finds it.
	if created, err := d.Create(); err != nil || created {
		t.Errorf("second Create = %v, %v; want the existing directory", created, err)
	}
	os.Remove(d.Path)
	if err := os.Symlink(t.TempDir(), d.Path); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Create(); err == nil || !strings.Contains(err.Error(), "not a directory of this job's runner user") {
		t.Errorf("Create over a symlink: err = %v", err)
	}
}

func TestReachable(t *testing.T) {
	container := &Dir{container: true}
	for p, ok := range map[string]bool{
		"/github/runner_temp/aws/config": true,
		"/github/workspace/.aws/config":  true,
		"/github/home/.aws/config":       true,
		"/home/runner/.aws/config":       false,
		"/github/file_commands/x":        false,
		"/github/runner_temp/../etc/x":   false,
		"aws/config":                     false,
		"~/.aws/config":                  false,
	} {
		if err := container.Reachable("AWS_CONFIG_FILE", p); (err == nil) != ok {
			t.Errorf("in the container, Reachable(%q) = %v, want ok=%v", p, err, ok)
		}
	}
	host := &Dir{}
	if err := host.Reachable("AWS_CONFIG_FILE", "/home/runner/.aws/config"); err != nil {
		t.Errorf("on the runner: %v", err)
	}
	if err := host.Reachable("AWS_CONFIG_FILE", "aws/config"); err == nil {
		t.Error("on the runner, a relative path was accepted")
	}
	// The fix is the caller's to print, once.
	for _, err := range []error{host.Reachable("AWS_CONFIG_FILE", "aws/config"), container.Reachable("AWS_CONFIG_FILE", "/home/runner/.aws/config")} {
		var f interface{ Fix() string }
		if strings.Contains(err.Error(), "Fix") || !errors.As(err, &f) || f.Fix() == "" {
			t.Errorf("error %q should say only what is wrong and carry its fix apart", err)
		}
	}
}
