package policycmd

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tree makes files (paths relative to a new directory, "/" separated; a
// name ending in "/" is a directory) and returns the directory.
func tree(t *testing.T, paths ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, p := range paths {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func rel(t *testing.T, dir string, paths []string) []string {
	t.Helper()
	var out []string
	for _, p := range paths {
		r, err := filepath.Rel(dir, p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, filepath.ToSlash(r))
	}
	return out
}

func failureText(fs []failure) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.File + ": " + f.Err.Error() + "\n")
	}
	return b.String()
}

func TestExpandArgsSearchesADirectoryForJSONInLexicalOrder(t *testing.T) {
	dir := tree(t, "b.json", "a/z.json", "a/deep/er/y.JSON", "main.tf.json", "notes.md", "plan.json.bak",
		".git/HEAD.json", ".terraform/modules/m/policy.json", "node_modules/p/package.json", "a/.terraform/x.json", "empty/")
	files, failures := expandArgs([]string{dir})
	if len(failures) > 0 {
		t.Fatalf("failures:\n%s", failureText(failures))
	}
	want := []string{"a/deep/er/y.JSON", "a/z.json", "b.json"}
	if got := rel(t, dir, files); !slices.Equal(got, want) {
		t.Fatalf("expandArgs(dir) = %q, want %q", got, want)
	}
}

func TestExpandArgsPassesOtherArgumentsThroughInOrder(t *testing.T) {
	dir := tree(t, "x.json", "sub/y.json")
	args := []string{"-", filepath.Join(dir, "x.json"), filepath.Join(dir, "sub"), filepath.Join(dir, "missing.json"), filepath.Join(dir, "notes.txt")}
	files, failures := expandArgs(args)
	if len(failures) > 0 {
		t.Fatalf("failures:\n%s", failureText(failures))
	}
	want := []string{"-", args[1], filepath.Join(dir, "sub", "y.json"), args[3], args[4]}
	if !slices.Equal(files, want) {
		t.Fatalf("expandArgs = %q, want %q", files, want)
	}
}

func TestExpandArgsReportsSymbolicLinksItFindsWithoutFollowing(t *testing.T) {
	outside := tree(t, "secret.json", "d/inner.json")
	dir := tree(t, "ok.json")
	for name, target := range map[string]string{"link.json": filepath.Join(outside, "secret.json"), "linkdir": filepath.Join(outside, "d")} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	files, failures := expandArgs([]string{dir})
	if got := rel(t, dir, files); !slices.Equal(got, []string{"ok.json"}) {
		t.Errorf("files = %q, want only ok.json: a link must not be followed", got)
	}
	if len(failures) != 1 || failures[0].File != filepath.Join(dir, "link.json") || !strings.Contains(failures[0].Err.Error(), "symbolic link") {
		t.Errorf("failures:\n%swant one for link.json saying it is a symbolic link", failureText(failures))
	}
}

// A link named on the command line is the user's choice, and is searched.
func TestExpandArgsSearchesADirectoryNamedThroughALink(t *testing.T) {
	real := tree(t, "p.json")
	link := filepath.Join(t.TempDir(), "iam")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	files, failures := expandArgs([]string{link})
	if len(failures) > 0 || len(files) != 1 || filepath.Base(files[0]) != "p.json" || !strings.HasPrefix(files[0], link) {
		t.Fatalf("expandArgs(link) = %q, failures:\n%s", files, failureText(failures))
	}
}

func TestExpandArgsFailsADirectoryWithNothingToRead(t *testing.T) {
	dir := tree(t, "main.tf.json", "README.md", ".git/x.json")
	files, failures := expandArgs([]string{dir})
	if len(files) != 0 || len(failures) != 1 || failures[0].File != dir || !strings.Contains(failures[0].Err.Error(), "no .json file") {
		t.Fatalf("files %q, failures:\n%swant one failure naming the directory", files, failureText(failures))
	}
}

func TestExpandArgsStopsAtItsBounds(t *testing.T) {
	dir := tree(t, "a.json", "b.json", "c.json", "d/e.json")
	cases := []struct {
		name             string
		entries, files   int
		wantFiles        int
		wantErrSubstring string
	}{
		{"too many files", 1000, 2, 2, "more than 2 .json files"},
		{"too many entries", 3, 1000, 2, "more than 3 entries"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func(e, f int) { maxSearchEntries, maxSearchFiles = e, f }(maxSearchEntries, maxSearchFiles)
			maxSearchEntries, maxSearchFiles = tc.entries, tc.files
			files, failures := expandArgs([]string{dir})
			if len(files) != tc.wantFiles || len(failures) != 1 || failures[0].File != dir || !strings.Contains(failures[0].Err.Error(), tc.wantErrSubstring) {
				t.Fatalf("files %q, failures:\n%swant %d files and %q", files, failureText(failures), tc.wantFiles, tc.wantErrSubstring)
			}
		})
	}
}
