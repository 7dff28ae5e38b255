package policycmd

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entries lists dir, so a test sees a temporary file left behind.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestLintOutputHoldsWhatStdoutWould(t *testing.T) {
	for _, format := range []string{"text", "json", "sarif"} {
		t.Run(format, func(t *testing.T) {
			_, want, _ := run(t, "", "lint", "--format", format, "testdata/stringequals-wildcard.json")
			dir := t.TempDir()
			out := filepath.Join(dir, "report")
			code, stdout, stderr := run(t, "", "lint", "--format", format, "--output", out, "testdata/stringequals-wildcard.json")
			if code != 1 || stdout != "" || stderr != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 1 and nothing printed", code, stdout, stderr)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want {
				t.Errorf("--output wrote\n%s\nstdout would have had\n%s", got, want)
			}
			if names := entries(t, dir); len(names) != 1 {
				t.Errorf("directory holds %q, want the report only", names)
			}
			if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o644 {
				t.Errorf("report mode %v (%v), want 0644", st.Mode(), err)
			}
		})
	}
}

// The report's lines pass through the same neutraliser as stdout's, so a
// later step that prints the file cannot be made to run a workflow command.
func TestReportFileIsInert(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.txt")
	r, err := openReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.write(io.Discard, func(w io.Writer) error {
		_, err := io.WriteString(w, "ok\n::add-mask::x\n##[error]y\n")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(got), "\n") {
		if strings.HasPrefix(line, "::") || strings.HasPrefix(line, "##[") {
			t.Errorf("report line starts a workflow command: %q", line)
		}
	}
	if !strings.HasPrefix(string(got), "ok\n") {
		t.Errorf("report = %q, want the plain line kept", got)
	}
}

func TestLintOutputReplacesALinkWithoutFollowingIt(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "report.sarif")
	if err := os.Symlink(target, out); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, "", "lint", "--format", "sarif", "--output", out, "testdata/good.json"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("the link's target now holds %q: --output followed the link", b)
	}
	if st, err := os.Lstat(out); err != nil || !st.Mode().IsRegular() {
		t.Errorf("--output left %v (%v), want a regular file in the link's place", st.Mode(), err)
	}
}

func TestLintOutputRefusesAPathItCannotWriteBeforeReading(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ name, path, want string }{
		{"a directory", dir, `lint: invalid --output "` + dir + `": is a directory`},
		{"a missing directory", filepath.Join(dir, "nope", "r.json"), "cannot create a file in its directory: no such file or directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The input does not exist: a usage error must come first.
			code, stdout, stderr := run(t, "", "lint", "--output", tc.path, filepath.Join(dir, "missing.json"))
			if code != 2 || stdout != "" || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "missing.json") {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and %q before any input is read", code, stdout, stderr, tc.want)
			}
		})
	}
}

func TestReportFileKeepsTheOldReportWhenWritingFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := openReport(path)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = r.write(io.Discard, func(w io.Writer) error {
		io.WriteString(w, "half a rep")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("write = %v, want %v", err, boom)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("report holds %q after a failed write, want the old one", b)
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("directory holds %q after a failed write, want the old report only", names)
	}
}

func TestReportFileDiscardLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	r, err := openReport(filepath.Join(dir, "r.json"))
	if err != nil {
		t.Fatal(err)
	}
	r.discard()
	if names := entries(t, dir); len(names) != 0 {
		t.Errorf("directory holds %q after discard, want nothing", names)
	}
}

// audit shares lint's argument expansion and --output: a directory gives
// the report its files would give, named in lexical order.
func TestAuditReadsADirectoryAndWritesOutput(t *testing.T) {
	now := auditNow
	files, err := filepath.Glob("testdata/audit/*.json")
	if err != nil || len(files) < 2 {
		t.Fatalf("audit fixtures: %v, %v", files, err)
	}
	wantCode, want, wantErr := runAuditAt(t, now, "", append([]string{"--format", "json"}, files...)...)
	out := filepath.Join(t.TempDir(), "audit.json")
	code, stdout, stderr := runAuditAt(t, now, "", "--format", "json", "--output", out, "testdata/audit")
	if code != wantCode || stdout != "" || stderr != wantErr {
		t.Fatalf("exit %d, stdout %q, stderr %q; want %d, nothing and %q", code, stdout, stderr, wantCode, wantErr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("audit DIR --output wrote\n%s\naudit FILES printed\n%s", got, want)
	}
}
