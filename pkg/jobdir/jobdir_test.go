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
	container := &Dir{layout: docker}
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

// containerRoot lays out a container action's view under a temporary
// root: the file-command directory with GITHUB_ENV, and what mount sets up
// the rest.
func containerRoot(t *testing.T, mount func(root, envFile string)) (root string, vars map[string]string) {
	t.Helper()
	root = t.TempDir()
	envFile := "/github/file_commands/set_env_1"
	if err := os.MkdirAll(filepath.Join(root, "github", "file_commands"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, envFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	mount(root, envFile)
	return root, map[string]string{"RUNNER_TEMP": "/github/runner_temp", "GITHUB_ENV": envFile, "RUNNER_WORKSPACE": "/home/runner/_work/repo"}
}

func mkdirs(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFindTellsTheContainerLayoutsApart(t *testing.T) {
	const later = "/home/runner/_work/_temp/" + Name
	t.Run("the runner's Docker mounts /github/runner_temp", func(t *testing.T) {
		root, vars := containerRoot(t, func(root, _ string) { mkdirs(t, filepath.Join(root, "github", "runner_temp")) })
		d, err := find(env(vars), root)
		if err != nil {
			t.Fatal(err)
		}
		if path, l := d.File("config"); path != filepath.Join(root, "github/runner_temp", Name, "config") || l != later+"/config" {
			t.Errorf("File = %s, %s", path, l)
		}
		if got := d.Local("/github/runner_temp/aws/config"); got != "/github/runner_temp/aws/config" {
			t.Errorf("Local mapped %s with the runner temp mounted", got)
		}
	})
	t.Run("the kubernetes hook mounts the work volume at /__w", func(t *testing.T) {
		root, vars := containerRoot(t, func(root, envFile string) {
			// The hook mounts _temp/_runner_file_commands of the volume at
			// /github/file_commands: the same file under both names.
			mkdirs(t, filepath.Join(root, "__w/_temp/_runner_file_commands"))
			if err := os.Link(filepath.Join(root, envFile), filepath.Join(root, "__w/_temp/_runner_file_commands", filepath.Base(envFile))); err != nil {
				t.Fatal(err)
			}
		})
		d, err := find(env(vars), root)
		if err != nil {
			t.Fatal(err)
		}
		if path, l := d.File("config"); path != filepath.Join(root, "__w/_temp", Name, "config") || l != later+"/config" {
			t.Errorf("File = %s, %s; want the volume's _temp here and the runner's path for later steps", path, l)
		}
		for given, want := range map[string]string{
			"/github/runner_temp":            "/__w/_temp",
			"/github/runner_temp/aws/config": "/__w/_temp/aws/config",
			"/github/runner_tempx/config":    "/github/runner_tempx/config",
			"/github/workspace/.aws/config":  "/github/workspace/.aws/config",
		} {
			if got := d.Local(given); got != want {
				t.Errorf("Local(%s) = %s, want %s", given, got, want)
			}
		}
		for p, ok := range map[string]bool{
			"/github/runner_temp/aws/config": true,
			"/__w/_temp/aws/config":          true,
			"/__w/repo/repo/.aws/config":     true,
			"/github/workspace/.aws/config":  true,
			"/github/home/.aws/config":       true,
			"/home/runner/.aws/config":       false,
			"/github/file_commands/x":        false,
		} {
			if err := d.Reachable("AWS_CONFIG_FILE", p); (err == nil) != ok {
				t.Errorf("Reachable(%s) = %v, want ok=%v", p, err, ok)
			}
		}
	})
	for _, c := range []struct {
		name  string
		mount func(root, envFile string)
	}{
		{"nothing mounted (kubernetes-novolume, or an unknown hook)", func(string, string) {}},
		{"a /__w that is not the work volume", func(root, envFile string) {
			mkdirs(t, filepath.Join(root, "__w/_temp/_runner_file_commands"))
			os.WriteFile(filepath.Join(root, "__w/_temp/_runner_file_commands", filepath.Base(envFile)), nil, 0o644)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			root, vars := containerRoot(t, c.mount)
			_, err := find(env(vars), root)
			var f interface{ Fix() string }
			if err == nil || !strings.Contains(err.Error(), "runner container hooks") || !errors.As(err, &f) || !strings.Contains(f.Fix(), "kubernetes-novolume") {
				t.Errorf("err = %v, want one naming runner container hooks", err)
			}
		})
	}
}

func TestCheckRefusesWhatCreateWouldRefuse(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the directory another owner")
	}
	_, vars := hostStep(t)
	d, err := Find(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Check(); err != nil {
		t.Errorf("no directory yet: %v", err)
	}
	cases := []struct {
		name  string
		setup func()
	}{
		{"a symlink", func() { os.Symlink(t.TempDir(), d.Path) }},
		{"another user's directory", func() { os.Mkdir(d.Path, 0o700); os.Chown(d.Path, 4242, 4242) }},
		{"a file", func() { os.WriteFile(d.Path, nil, 0o600) }},
	}
	for _, c := range cases {
		os.RemoveAll(d.Path)
		c.setup()
		if err := d.Check(); err == nil || !strings.Contains(err.Error(), "not a directory of this job's runner user") {
			t.Errorf("%s: Check = %v", c.name, err)
		}
	}
	os.RemoveAll(d.Path)
	if err := os.Mkdir(d.Path, 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chown(d.Path, d.UID, d.GID)
	if err := d.Check(); err != nil {
		t.Errorf("an earlier step's directory: %v", err)
	}
	gone := &Dir{Path: filepath.Join(t.TempDir(), "not-mounted", Name)}
	if err := gone.Check(); err == nil || !strings.Contains(err.Error(), "is not a directory here") {
		t.Errorf("a missing parent: Check = %v", err)
	}
}
