package credprocess

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestProfileCommandReadsBackThroughShAndOurParser(t *testing.T) {
	args := []string{"--role-to-assume", "arn:aws:iam::123456789012:role/deploy", "--inline-session-policy",
		`{"Statement":[{"Resource":"arn:aws:s3:::b/#it's;$HOME` + "`x`" + `"}]}`, "--chain-session-tags", `{"Tags":[{"Key":"Team","Value":"pay ments"}]}`, ""}
	line := ProfileCommand(args)
	got, ok := ParseProfileCommand(line)
	if !ok || !slices.Equal(got, args) {
		t.Fatalf("parsed back %q, %v\nfrom %s", got, ok, line)
	}
	// sh reads the same words: swap exec of the helper for printing them.
	script := strings.Replace(line, shellQuote(commandPrefix[2]), shellQuote(`printf '%s\n' "$@"`), 1)
	out, err := exec.Command("sh", "-c", script).Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(args, "\n") + "\n"; string(out) != want {
		t.Errorf("sh read\n%q\nwant\n%q", out, want)
	}
}

func TestParseProfileCommandRefusesOtherLines(t *testing.T) {
	for _, line := range []string{
		"",
		"/usr/bin/other --flag",
		"sh -c 'exec something' oidc-aws --role-to-assume x",
		ProfileCommand([]string{"--a"}) + " 'unterminated",
		ProfileCommand([]string{"--a"}) + " $(id)",
		ProfileCommand([]string{"--a"}) + ` "double"`,
		ProfileCommand(nil) + `\`,
	} {
		if args, ok := ParseProfileCommand(line); ok {
			t.Errorf("ParseProfileCommand(%q) = %q, true", line, args)
		}
	}
}

func FuzzParseProfileCommand(f *testing.F) {
	f.Add("--role-to-assume\x00arn:aws:iam::123456789012:role/x\x00it's")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		// Any line: no panic, and what parses back writes back the same.
		if args, ok := ParseProfileCommand(s); ok {
			if again, ok := ParseProfileCommand(ProfileCommand(args)); !ok || !slices.Equal(again, args) {
				t.Fatalf("%q: round trip gave %q", s, again)
			}
		}
		// Any args: a round trip.
		args := strings.Split(s, "\x00")
		if got, ok := ParseProfileCommand(ProfileCommand(args)); !ok || !slices.Equal(got, args) {
			t.Fatalf("args %q came back as %q, %v", args, got, ok)
		}
	})
}

// Without OIDC_AWS_JOB_DIR (env -i, sudo, a container that drops it) the
// line says which variable to pass through, rather than "/oidc-aws: not
// found"; run as the SDKs run it (sh -c the line) and as the AWS CLI does
// (the line's words).
func TestProfileCommandWithoutTheJobDirSaysToPassItThrough(t *testing.T) {
	line := ProfileCommand([]string{"--role-to-assume", "arn:aws:iam::123456789012:role/deploy"})
	words, ok := splitWords(line)
	if !ok {
		t.Fatalf("cannot split %s", line)
	}
	for _, env := range [][]string{{DirVariable + "="}, {}} {
		for name, cmd := range map[string]*exec.Cmd{
			"sh -c": exec.Command("sh", "-c", line),
			"words": exec.Command(words[0], words[1:]...),
		} {
			cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), DirVariable) || !strings.Contains(string(out), "pass it through") ||
				strings.Contains(string(out), "not found") {
				t.Errorf("%s with env %q: %v, output %q", name, env, err, out)
			}
		}
	}
}
