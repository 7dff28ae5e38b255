package policycmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCorpus lints every policy of testdata/corpus as a user would
// (`policy lint --fail-on info FILE`). Each bad/NAME.json fails, with the
// positioned findings of bad/NAME.out; each good/NAME.json is the tight
// look-alike of a bad case and lints clean at every severity.
func TestCorpus(t *testing.T) {
	bad, _ := filepath.Glob("testdata/corpus/bad/*.json")
	good, _ := filepath.Glob("testdata/corpus/good/*.json")
	if len(bad) == 0 || len(good) == 0 {
		t.Fatalf("corpus missing: %d bad, %d good files", len(bad), len(good))
	}
	for _, file := range bad {
		t.Run(file, func(t *testing.T) {
			code, out, errOut := run(t, "", "lint", "--fail-on", "info", file)
			if code != ExitFindings || errOut != "" {
				t.Errorf("exit %d, stderr %q; want %d and nothing on stderr", code, errOut, ExitFindings)
			}
			if !strings.HasPrefix(out, "error ") {
				t.Errorf("a bad case must fail with an error first:\n%s", out)
			}
			want := strings.TrimSuffix(file, ".json") + ".out"
			if *update {
				if err := os.WriteFile(want, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			w, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("missing %s (run with -update): %v", want, err)
			}
			if out != string(w) {
				t.Errorf("%s differs (rerun with -update if intended)\n--- got\n%s--- want\n%s", want, out, w)
			}
		})
	}
	for _, file := range good {
		t.Run(file, func(t *testing.T) {
			code, out, errOut := run(t, "", "lint", "--fail-on", "info", file)
			if code != ExitOK || out != "no findings in 1 file\n" || errOut != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want a clean lint", code, out, errOut)
			}
		})
	}
}
