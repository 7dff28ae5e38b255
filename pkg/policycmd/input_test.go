package policycmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runBounded runs the CLI and fails the test, instead of hanging it, if a
// special file makes the command wait.
func runBounded(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := run(t, "", args...)
		done <- result{code, out, errOut}
	}()
	select {
	case r := <-done:
		return r.code, r.out, r.err
	case <-time.After(time.Minute):
		t.Fatalf("%v is still running after a minute: it waits on a special file", args)
		return 0, "", ""
	}
}

func TestSpecialFilesAreRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no FIFOs or /dev on Windows")
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "trust.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	stdoutLink := filepath.Join(dir, "stdout.json")
	if err := os.Symlink("/dev/stdout", stdoutLink); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"lint a FIFO", []string{"lint", fifo}, "lint: " + fifo + ": is a named pipe (FIFO), not a regular file"},
		{"lint a symlink to /dev/stdout", []string{"lint", stdoutLink}, "lint: " + stdoutLink + ": is a "},
		{"lint a device", []string{"lint", "/dev/null"}, "lint: /dev/null: is a character device, not a regular file"},
		// Searched: the link is reported, not followed, and the FIFO refused.
		{"lint a directory of them", []string{"lint", dir}, "lint: " + stdoutLink + ": is a symbolic link, which a directory search does not follow; name the file it points to instead\nlint: " + fifo + ": is a named pipe (FIFO), not a regular file\n"},
		{"explain --policy a FIFO", []string{"explain", "--policy", fifo, "--claims", "testdata/claims_main.json"}, "explain: --policy " + fifo + ": is a named pipe (FIFO)"},
		{"explain --claims a FIFO", []string{"explain", "--policy", "testdata/main-only.json", "--claims", fifo}, "explain: --claims " + fifo + ": is a named pipe (FIFO)"},
		{"explain --token a device", []string{"explain", "--policy", "testdata/main-only.json", "--token", "/dev/zero"}, "explain: --token /dev/zero: is a character device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runBounded(t, tt.args...)
			if code != ExitUsage || !strings.HasPrefix(errOut, tt.want) {
				t.Errorf("code %d, stderr %q; want 2 and prefix %q", code, errOut, tt.want)
			}
		})
	}
}

func TestOversizedFileIsRefusedWithoutReadingIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: the bound is checked against the size before any read.
	if err := f.Truncate(256<<20 + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	code, out, errOut := run(t, "", "lint", path)
	want := "lint: " + path + ": is larger than the 256 MiB this command reads"
	if code != ExitUsage || !strings.HasPrefix(errOut, want) || !strings.Contains(out, "0 files; 1 file could not be checked") {
		t.Errorf("code %d\nstdout %q\nstderr %q\nwant prefix %q", code, out, errOut, want)
	}
}

// An `if: always()` upload of the SARIF must not show a clean scan when a
// file was not checked.
func TestSARIFRecordsFilesNotChecked(t *testing.T) {
	code, out, _ := run(t, "", "lint", "--format", "sarif", "testdata/nope.json", "testdata/good.json")
	if code != ExitUsage {
		t.Errorf("exit code %d, want 2", code)
	}
	var log struct {
		Runs []struct {
			Invocations []struct {
				ExecutionSuccessful        *bool `json:"executionSuccessful"`
				ToolExecutionNotifications []struct {
					Level     string
					Message   struct{ Text string }
					Locations []struct {
						PhysicalLocation struct {
							ArtifactLocation struct{ URI string }
						}
					}
				} `json:"toolExecutionNotifications"`
			} `json:"invocations"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	inv := log.Runs[0].Invocations
	if len(inv) != 1 || inv[0].ExecutionSuccessful == nil || *inv[0].ExecutionSuccessful {
		t.Fatalf("invocations = %+v, want one with executionSuccessful false\n%s", inv, out)
	}
	n := inv[0].ToolExecutionNotifications
	if len(n) != 1 || n[0].Level != "error" || n[0].Locations[0].PhysicalLocation.ArtifactLocation.URI != "testdata/nope.json" ||
		!strings.Contains(n[0].Message.Text, "no such file or directory") {
		t.Errorf("notifications = %+v", n)
	}

	_, out, _ = run(t, "", "lint", "--format", "sarif", "testdata/good.json")
	if !strings.Contains(out, `"executionSuccessful": true`) {
		t.Errorf("a clean run does not say executionSuccessful true:\n%s", out)
	}
}

// The JSON output names files that were not checked, and counts only the
// others.
func TestJSONRecordsFilesNotChecked(t *testing.T) {
	_, out, _ := run(t, "", "lint", "--format", "json", "testdata/nope.json", "testdata/good.json")
	var got struct {
		Failures []struct{ File, Error string }
		Summary  map[string]int
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Failures) != 1 || got.Failures[0].File != "testdata/nope.json" || got.Summary["files_checked"] != 1 || got.Summary["files_failed"] != 1 {
		t.Errorf("got %+v", got)
	}
}
