//go:build unix

package policycmd

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Files found in a directory are read as named ones are: a FIFO is refused,
// not waited on, and the others are still checked.
func TestLintDirectory(t *testing.T) {
	dir := tree(t, "ok/")
	for _, f := range []string{"good.json", "stringequals-wildcard.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "ok", f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := run(t, "", "lint", dir)
	if code != 1 || !strings.Contains(out, "error OIDC005") || !strings.Contains(out, "in 2 files") || errOut != "" {
		t.Fatalf("lint DIR: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "ok", "pipe.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(t, "", "lint", dir)
	if code != 2 || !strings.Contains(out, "in 2 files; 1 file could not be checked") || !strings.Contains(errOut, "pipe.json: is a named pipe") {
		t.Fatalf("lint DIR with a FIFO: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

func TestLintOutputReplacesAFIFOWithoutOpeningIt(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.json")
	if err := syscall.Mkfifo(out, 0o644); err != nil {
		t.Fatal(err)
	}
	// Opening a FIFO to write waits for a reader: this would hang.
	if code, _, stderr := run(t, "", "lint", "--format", "json", "--output", out, "testdata/good.json"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if st, err := os.Lstat(out); err != nil || !st.Mode().IsRegular() {
		t.Errorf("--output left %v (%v), want a regular file in the FIFO's place", st.Mode(), err)
	}
}
