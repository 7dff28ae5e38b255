package credprocess

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/internal/prereq"
	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
)

// childArgs, in a copy of this test binary's environment, makes it run the
// helper once (with the JSON args it holds) instead of the tests: the way
// to run the helper as another user. childOffset moves its clock on.
const (
	childArgs   = "CREDPROCESS_TEST_CHILD_ARGS"
	childOffset = "CREDPROCESS_TEST_CHILD_OFFSET"
)

func TestMain(m *testing.M) {
	if a := os.Getenv(childArgs); a != "" {
		var args []string
		if err := json.Unmarshal([]byte(a), &args); err != nil {
			panic(err)
		}
		offset, _ := time.ParseDuration(os.Getenv(childOffset))
		os.Exit(Run(context.Background(), args, Options{now: func() time.Time { return time.Now().Add(offset) }}))
	}
	os.Exit(m.Run())
}

// TestARunAsRootLeavesTheCacheToTheDirectorysOwner: root (sudo -E aws, or
// a container step running the profile) gives what it creates to the
// cache directory's owner, so the runner's user can refresh after it; a
// lock root left before that is reported with a fix.
func TestARunAsRootLeavesTheCacheToTheDirectorysOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		prereq.Missing(t, "needs root, to run the helper as root and as another user")
	}
	const uid = 1001
	base, err := os.MkdirTemp("", "credprocess-owner-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, sandbox.Options{})
	w.dir = filepath.Join(base, "job")
	if err := os.Mkdir(w.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(w.dir, uid, uid); err != nil {
		t.Fatal(err)
	}

	first := w.run(t, w.args())
	if first.code != 0 {
		t.Fatalf("as root: exit %d: %s", first.code, first.stderr)
	}
	files, _ := filepath.Glob(filepath.Join(w.dir, "*"))
	if len(files) < 2 {
		t.Fatalf("want an entry and a lock, have %v", files)
	}
	for _, f := range files {
		fi, err := os.Lstat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != uid || st.Gid != uid {
			t.Errorf("%s is owned by %d:%d, want the directory's %d:%d", filepath.Base(f), st.Uid, st.Gid, uid, uid)
		}
	}

	// A copy of the test binary that uid 1001 can run.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(base, "credprocess.test")
	copyFile(t, self, exe)
	exp, _ := time.Parse(time.RFC3339, first.out.Expiration)
	asUser := func(offset time.Duration) runResult {
		t.Helper()
		a, _ := json.Marshal(w.args())
		cmd := exec.Command(exe)
		cmd.Env = []string{childArgs + "=" + string(a), childOffset + "=" + offset.String(),
			"ACTIONS_ID_TOKEN_REQUEST_URL=" + w.env["ACTIONS_ID_TOKEN_REQUEST_URL"],
			"ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + w.env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid, Groups: []uint32{}}}
		err := cmd.Run()
		r := runResult{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
		if err != nil && r.code <= 0 {
			t.Fatalf("running the helper as uid %d: %v", uid, err)
		}
		if r.code == 0 {
			if err := json.Unmarshal(stdout.Bytes(), &r.out); err != nil {
				t.Fatalf("stdout is not credential_process JSON: %v", err)
			}
		}
		return r
	}
	// Inside the margin: the runner's user refreshes, through root's lock
	// and over root's entry.
	r := asUser(time.Until(exp) - 3*time.Minute)
	if r.code != 0 || r.out.AccessKeyID == first.out.AccessKeyID || w.stsCalls() != 2 {
		t.Fatalf("as uid %d after root: exit %d, %d STS calls, new key %v: %s", uid, r.code, w.stsCalls(), r.out.AccessKeyID != first.out.AccessKeyID, r.stderr)
	}

	// A lock that root left before root's runs gave their files away.
	s, err := parse(w.args())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(w.dir, "cred-"+cacheKey(s.hop)+".lock"), 0, 0); err != nil {
		t.Fatal(err)
	}
	os.Remove((&cache{dir: w.dir}).path(cacheKey(s.hop)))
	r = asUser(0)
	if r.code != 1 || !strings.Contains(r.stderr, "permission denied") || !strings.Contains(r.stderr, "\nFix: ") {
		t.Errorf("with root's lock: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
