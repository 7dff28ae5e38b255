package jobfiles_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/oidc-aws-action/pkg/jobdir"
	"github.com/org/oidc-aws-action/pkg/jobfiles"
	"github.com/org/oidc-aws-action/pkg/workflow"
)

// FuzzPostStepStaysInside runs the post step with any state, in a job
// whose directory holds a marker (as an earlier step could plant) and a
// link leading out, and whose variables name no file outside it: whatever
// the state says, nothing outside the job's directory may change. {DIR},
// {OUT} and {NONCE} in the input become the job's directory, the outside
// directory and the marker's nonce, so the fuzzer reaches real paths.
func FuzzPostStepStaysInside(f *testing.F) {
	for _, seed := range []string{
		`{"profile":"dev","remove":["{DIR}/lnk/../victim"],"nonce":"{NONCE}"}`,
		`{"profile":"dev","config":"{OUT}/config","credentials":"{OUT}/config","nonce":"{NONCE}"}`,
		`{"profile":"dev","config":"{DIR}/lnk/../config","nonce":"{NONCE}","configParent":{"Dev":0,"Ino":0}}`,
		`{"profile":"default","config":"{DIR}/config","remove":["credentials","config"],"dir":true,"helper":true,"nonce":"{NONCE}"}`,
		`{"remove":["../victim","lnk","cred-0123456789abcdef01234567.json"],"helper":true,"nonce":"{NONCE}"}`,
	} {
		f.Add(seed)
	}
	const nonce = "0123456789abcdef0123456789abcdef"
	base := f.TempDir()
	f.Fuzz(func(t *testing.T, state string) {
		// One directory per run, under one made once: t.TempDir per run
		// costs more than the run itself.
		run, err := os.MkdirTemp(base, "")
		must(t, err)
		defer os.RemoveAll(run)
		temp, out := filepath.Join(run, "temp"), filepath.Join(run, "out")
		must(t, os.Mkdir(temp, 0o755))
		must(t, os.Mkdir(out, 0o755))
		envFile := filepath.Join(temp, "set_env")
		dir := filepath.Join(temp, jobdir.Name)
		must(t, os.WriteFile(envFile, nil, 0o644))
		must(t, os.Mkdir(dir, 0o700))
		must(t, os.WriteFile(filepath.Join(dir, jobfiles.MarkerPrefix+nonce), nil, 0o600))
		must(t, os.WriteFile(filepath.Join(dir, "config"), []byte("[profile dev]\nregion = us-east-1\n"), 0o600))
		must(t, os.Mkdir(filepath.Join(out, "sub"), 0o700))
		must(t, os.Symlink(filepath.Join(out, "sub"), filepath.Join(dir, "lnk")))
		must(t, os.Symlink(filepath.Join(out, "victim"), filepath.Join(dir, "cred-0123456789abcdef01234567.json")))
		files := map[string]string{
			"victim": "keep me",
			"config": "[default]\nregion = eu-west-1\n[profile dev]\nregion = eu-west-1\n",
		}
		for name, text := range files {
			must(t, os.WriteFile(filepath.Join(out, name), []byte(text), 0o644))
		}
		state = strings.NewReplacer("{DIR}", dir, "{OUT}", out, "{NONCE}", nonce).Replace(state)
		vars := map[string]string{"RUNNER_TEMP": temp, "GITHUB_ENV": envFile, "STATE_" + jobfiles.StateKey: state}
		getenv := func(k string) string { return vars[k] }
		jobfiles.Cleanup(workflow.New(io.Discard, getenv), getenv)
		entries, err := os.ReadDir(out)
		if err != nil || len(entries) != len(files)+1 {
			t.Fatalf("outside the job's directory now: %v, %v", entries, err)
		}
		for name, text := range files {
			p := filepath.Join(out, name)
			st, err := os.Lstat(p)
			b, _ := os.ReadFile(p)
			if err != nil || string(b) != text || st.Mode() != 0o644 {
				t.Fatalf("state %q changed %s: %v %v %q", state, p, st, err, b)
			}
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
