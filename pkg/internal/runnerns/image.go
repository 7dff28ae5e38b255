package runnerns

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The image can't be built here (no Docker engine), so Image rebuilds its
// file layout from the Dockerfile's own lines: the build stage's `go build
// -o` output (the binary given) and its `ln -s` links, then the final
// stage's `COPY --from=`. BuildKit's COPY follows a symlink named as its
// source but keeps symlinks inside a copied directory; Image does the same,
// so a layout that would ship a second copy of the binary shows as one.

// Entrypoints are action.yml's runs.entrypoint and runs.post-entrypoint.
type Entrypoints struct {
	Main string `yaml:"entrypoint"`
	Post string `yaml:"post-entrypoint"`
}

// RepoRoot is the module's root: the nearest directory above the working
// directory (a test's package directory) with a go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// ActionEntrypoints reads the entrypoints from the repository's action.yml.
func ActionEntrypoints(repo string) (Entrypoints, error) {
	b, err := os.ReadFile(filepath.Join(repo, "action.yml"))
	if err != nil {
		return Entrypoints{}, err
	}
	var a struct {
		Runs Entrypoints `yaml:"runs"`
	}
	if err := yaml.Unmarshal(b, &a); err != nil {
		return Entrypoints{}, fmt.Errorf("action.yml: %w", err)
	}
	return a.Runs, nil
}

// DockerfileInstructions joins continuation lines and drops comments and
// blank lines, giving one instruction per entry.
func DockerfileInstructions(dockerfile string) []string {
	var out []string
	var cur strings.Builder
	for _, l := range strings.Split(dockerfile, "\n") {
		t := strings.TrimSpace(l)
		if cur.Len() == 0 && (t == "" || strings.HasPrefix(t, "#")) {
			continue
		}
		if strings.HasSuffix(t, `\`) {
			cur.WriteString(strings.TrimSpace(strings.TrimSuffix(t, `\`)) + " ")
			continue
		}
		cur.WriteString(t)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out
}

// Image lays out the final stage of the repository's Dockerfile in dst,
// with bin as what its `go build -o` writes. Only the instructions that
// put files in the image are rebuilt; any other RUN in the build stage
// after `go build` fails it, so that the layout cannot silently diverge.
func Image(repo, bin, dst string) error {
	b, err := os.ReadFile(filepath.Join(repo, "Dockerfile"))
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "runnerns-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	stages := map[string]string{} // stage name → its file system
	var stage, final string
	for i, in := range DockerfileInstructions(string(b)) {
		f := strings.Fields(in)
		switch strings.ToUpper(f[0]) {
		case "FROM":
			stage = filepath.Join(work, fmt.Sprint(i))
			if err := os.Mkdir(stage, 0o755); err != nil {
				return err
			}
			if len(f) >= 3 && strings.EqualFold(f[len(f)-2], "AS") {
				stages[f[len(f)-1]] = stage
			}
			final = stage
		case "RUN":
			if err := runStep(stage, in, bin); err != nil {
				return fmt.Errorf("the Dockerfile's %q: %w", in, err)
			}
		case "COPY":
			if len(f) != 4 || !strings.HasPrefix(f[1], "--from=") {
				continue // the build context, for the build stage
			}
			from, ok := stages[strings.TrimPrefix(f[1], "--from=")]
			if !ok {
				return fmt.Errorf("the Dockerfile's %q: no such stage", in)
			}
			if err := copyFrom(filepath.Join(from, f[2]), filepath.Join(stage, f[3]), strings.HasSuffix(f[2], "/")); err != nil {
				return fmt.Errorf("the Dockerfile's %q: %w", in, err)
			}
		}
	}
	if final == "" {
		return errors.New("the Dockerfile has no stage")
	}
	return copyFrom(final+"/", dst, true)
}

// runStep rebuilds what one RUN of the build stage leaves: `go build -o`
// puts bin there, `ln -s` makes its link, and commands that only fetch
// or prepare (go mod download) leave nothing in the image's paths.
func runStep(stage, in, bin string) error {
	cmd := strings.TrimSpace(strings.TrimPrefix(in, strings.Fields(in)[0]))
	for _, part := range strings.Split(cmd, "&&") {
		f := strings.Fields(part)
		switch {
		case len(f) == 0:
		case len(f) >= 2 && f[0] == "go" && f[1] == "mod":
		case containsSeq(f, "go", "build"):
			out := ""
			for i := range f {
				if f[i] == "-o" && i+1 < len(f) {
					out = f[i+1]
				}
			}
			if out == "" {
				return errors.New("go build without -o")
			}
			dst := filepath.Join(stage, out)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			if err := copyFile(bin, dst, 0o755); err != nil {
				return err
			}
		case len(f) == 4 && f[0] == "ln" && f[1] == "-s":
			dst := filepath.Join(stage, f[3])
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			if err := os.Symlink(f[2], dst); err != nil {
				return err
			}
		default:
			return fmt.Errorf("cannot rebuild %q", strings.TrimSpace(part))
		}
	}
	return nil
}

func containsSeq(f []string, a, b string) bool {
	for i := 0; i+1 < len(f); i++ {
		if f[i] == a && f[i+1] == b {
			return true
		}
	}
	return false
}

// copyFrom copies src to dst as COPY --from does: a directory's contents
// (dir) with symlinks kept as symlinks, or one file, following a symlink.
func copyFrom(src, dst string, dir bool) error {
	if !dir {
		st, err := os.Stat(src)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return copyFile(src, dst, st.Mode().Perm())
	}
	return filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		switch {
		case e.IsDir():
			return os.MkdirAll(target, 0o755)
		case e.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			st, err := e.Info()
			if err != nil {
				return err
			}
			return copyFile(p, target, st.Mode().Perm())
		}
	})
}
