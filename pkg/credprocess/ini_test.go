package credprocess

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/org/oidc-aws-action/pkg/awsprofile"
)

// sdkReadsBack writes args as the step does (ProfileCommand into a profile
// through package awsprofile) and returns the credential_process line as
// aws-sdk-go-v2's own INI reader gives it back, and false when awsprofile
// refuses the value.
func sdkReadsBack(t testing.TB, args []string) (written, read string, ok bool) {
	t.Helper()
	dir := t.TempDir()
	f := awsprofile.Files{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials"), UID: -1, GID: -1}
	written = ProfileCommand(args)
	if _, err := f.Write(awsprofile.Profile{Name: "p", CredentialProcess: written}, false); err != nil {
		return written, "", false
	}
	sc, err := config.LoadSharedConfigProfile(context.Background(), "p", func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles = []string{f.Config}
		o.CredentialsFiles = []string{f.Credentials}
	})
	if err != nil {
		t.Fatalf("the SDK cannot read the profile of %q: %v", args, err)
	}
	return written, sc.CredentialProcess, true
}

var hostileValues = []string{
	`{"Statement":[{"Resource":"arn:aws:s3:::assets/release #1/*"}]}`,
	"a ;b", "a\t#b", "a\t;b", "#", ";", " #", " ;", "##;;", "x #y ;z",
	`it's`, `'`, `''`, `"`, `\`, `\\`, `\#`, `\'`, `$HOME`, `${x}`, `$(id)`,
	"a b", "  ", "", "é ü 中文 🙂", "*?[]{}~!&|<>()", "=", "a=b", "[p]", "-",
}

// The SDK, which runs the line with sh -c, and the AWS CLI, which splits
// it with shlex.split and runs the words, both get back the exact args.
func TestProfileCommandSurvivesTheSDKsINIReaderAndBothSplitters(t *testing.T) {
	python, _ := exec.LookPath("python3")
	for _, v := range hostileValues {
		args := []string{"--inline-session-policy", v, "--role-session-name", v}
		written, read, ok := sdkReadsBack(t, args)
		if !ok {
			t.Fatalf("%q: awsprofile refused the value", v)
		}
		if read != written {
			t.Errorf("%q: the SDK read\n%s\nwritten as\n%s", v, read, written)
			continue
		}
		if got, ok := ParseProfileCommand(read); !ok || !slices.Equal(got, args) {
			t.Errorf("%q: parsed back as %q, %v", v, got, ok)
		}
		// sh -c, as the SDK runs it: swap exec of the helper for printing
		// the words.
		script := strings.Replace(read, shellQuote(commandPrefix[2]), shellQuote(`printf '%s\0' "$@"`), 1)
		out, err := exec.Command("sh", "-c", script).Output()
		if err != nil {
			t.Errorf("%q: sh -c failed: %v", v, err)
		} else if want := strings.Join(args, "\x00") + "\x00"; string(out) != want {
			t.Errorf("%q: sh read %q, want %q", v, out, want)
		}
		if python == "" {
			continue
		}
		out, err = exec.Command(python, "-c", `import shlex,sys; sys.stdout.write("\0".join(shlex.split(sys.argv[1])))`, read).Output()
		if err != nil {
			t.Errorf("%q: shlex.split failed: %v", v, err)
		} else if want := strings.Join(append(append([]string(nil), commandPrefix...), args...), "\x00"); string(out) != want {
			t.Errorf("%q: shlex.split read %q, want %q", v, out, want)
		}
	}
}

func FuzzProfileCommandThroughTheSDKsINIReader(f *testing.F) {
	for _, v := range hostileValues {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		written, read, ok := sdkReadsBack(t, args)
		if !ok {
			return // a value no INI writer keeps (line break, backtick): refused
		}
		if read != written {
			t.Fatalf("%q: the SDK read\n%s\nwritten as\n%s", args, read, written)
		}
		if got, ok := ParseProfileCommand(read); !ok || !slices.Equal(got, args) {
			t.Fatalf("%q: parsed back as %q, %v", args, got, ok)
		}
	})
}
