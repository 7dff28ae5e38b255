package metadata

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// ciReadmeStep matches a .ci/run step that runs one of the README's
// commands, e.g. `step "tests (the README's command)"`: the command is the
// next line.
var ciReadmeStep = regexp.MustCompile(`^step ".*the README's .*command\)"$`)

// readmeCommands returns the commands .ci/run says it takes from the README.
func readmeCommands(ci string) ([]string, error) {
	lines := strings.Split(ci, "\n")
	var cmds []string
	for i, l := range lines {
		if !ciReadmeStep.MatchString(strings.TrimSpace(l)) {
			continue
		}
		if i+1 >= len(lines) || strings.TrimSpace(lines[i+1]) == "" {
			return nil, fmt.Errorf("line %d: no command after %q", i+1, l)
		}
		cmd := strings.TrimSpace(lines[i+1])
		// The demo's output goes to a log in CI; the README runs it bare.
		if j := strings.Index(cmd, " >"); j >= 0 {
			cmd = strings.TrimSpace(cmd[:j])
		}
		cmds = append(cmds, cmd)
	}
	return cmds, nil
}

// inShellBlock says whether cmd starts a line of a ```sh block in md.
func inShellBlock(md, cmd string) bool {
	in := false
	for _, l := range strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n") {
		switch t := strings.TrimSpace(l); {
		case strings.HasPrefix(t, "```"):
			in = !in && (t == "```sh" || t == "```console")
		case in && (t == cmd || strings.HasPrefix(t, cmd+" ")):
			return true
		}
	}
	return false
}

// .ci/run runs "the README's command" and "the README's other command": a
// reader of the README on a fresh machine must find both there, as CI runs
// them, wherever the rest of the development material lives.
func TestREADMEGivesTheCommandsCIRuns(t *testing.T) {
	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := readmeCommands(string(ci))
	if err != nil {
		t.Fatalf(".ci/run: %v", err)
	}
	if len(cmds) != 2 {
		t.Fatalf(".ci/run names %d of the README's commands (%q), want 2: the demo and the tests", len(cmds), cmds)
	}
	for _, c := range cmds {
		if !inShellBlock(string(md), c) {
			t.Errorf("README.md has no ```sh line starting with %q, which .ci/run runs as the README's command.\nFix: keep it in the README's Development section, or change both together", c)
		}
	}
}

// The README sends contributors and security reporters to files GitHub
// shows beside it; each must exist and hold what the README promises.
func TestREADMELinksTheContributingAndSecurityFiles(t *testing.T) {
	md, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ path, heading string }{
		{".github/CONTRIBUTING.md", "## The two commands"},
		{".github/SECURITY.md", "## Reporting a vulnerability"},
		{"LICENSE", "MIT License"},
	} {
		if !strings.Contains(string(md), "("+f.path) {
			t.Errorf("README.md does not link %s.\nFix: link it as [..](%s)", f.path, f.path)
		}
		body, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f.path)))
		if err != nil {
			t.Errorf("%s, which the README links: %v", f.path, err)
			continue
		}
		if !strings.Contains(string(body), "\n"+f.heading+"\n") && !strings.HasPrefix(string(body), f.heading+"\n") {
			t.Errorf("%s has no line %q", f.path, f.heading)
		}
	}
}

func TestReadmeCommandsParsesCIRunSteps(t *testing.T) {
	for _, c := range []struct {
		name, ci string
		want     []string
		wantErr  bool
	}{
		{"both steps, output redirect dropped", "step \"tests (the README's command)\"\ngo test ./...\n\nstep \"demo (the README's other command)\"\ngo run ./demo > /tmp/x.log\n", []string{"go test ./...", "go run ./demo"}, false},
		{"other steps ignored", "step \"gofmt\"\ngofmt -l .\n", nil, false},
		{"a step with no command after it", "step \"tests (the README's command)\"\n\n", nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := readmeCommands(c.ci)
			if (err != nil) != c.wantErr {
				t.Fatalf("error %v, want error %v", err, c.wantErr)
			}
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestInShellBlockFindsOnlyCommandsInShellBlocks(t *testing.T) {
	md := "go test ./...\n\n```yaml\n- run: go test ./...\n```\n\n```sh\ngo run ./demo   # the demo\n```\n"
	for _, c := range []struct {
		cmd  string
		want bool
	}{
		{"go run ./demo", true},
		{"go test ./...", false}, // in prose and YAML only
		{"go run ./dem", false},  // a prefix of a word is not the command
	} {
		if got := inShellBlock(md, c.cmd); got != c.want {
			t.Errorf("inShellBlock(%q) = %v, want %v", c.cmd, got, c.want)
		}
	}
}
