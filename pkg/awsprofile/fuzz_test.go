package awsprofile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/oidc-aws-action/pkg/internal/awsreaders"
)

// FuzzReadersAgreeBeforeAndAfterTheStep: whatever a user's two files
// hold, either every AWS reader (botocore through its worker,
// aws-sdk-go-v2 in process) reads what this package reads, and after the
// step wrote its profile reads every other profile as before and ours as
// written; or the write is refused, naming a line without quoting it, and
// both files are left as they were.
func FuzzReadersAgreeBeforeAndAfterTheStep(f *testing.F) {
	for _, c := range acceptedCorpus {
		f.Add([]byte(c.config), []byte(c.credentials), c.keys, uint8(0))
	}
	for _, c := range refusedCorpus {
		f.Add([]byte(c.config), []byte(c.credentials), false, uint8(1))
	}
	b := awsreaders.StartBotocore(f)
	// One directory for all inputs: a fresh one each time would cost more
	// than the write under test.
	dir := f.TempDir()
	fs := Files{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials"), UID: -1, GID: -1}
	names := []string{"deploy", "default", "prod", "a"}
	f.Fuzz(func(t *testing.T, conf, cred []byte, keys bool, name uint8) {
		for path, data := range map[string][]byte{fs.Config: conf, fs.Credentials: cred} {
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		c := readerCase{profile: names[int(name)%len(names)], keys: keys}
		_, confErr := parseINI(fs.Config, configFile, conf)
		_, credErr := parseINI(fs.Credentials, credentialsFile, cred)
		if confErr == nil && credErr == nil {
			checkStep(t, b, c, fs)
			return
		}
		_, err := fs.Write(c.written(), true)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("a file parseINI refuses was not refused with a ParseError: %v", err)
		}
		data := cred
		if pe.Path == fs.Config {
			data = conf
		}
		lines := strings.Split(string(data), "\n")
		if pe.Line < 1 || pe.Line > len(lines) {
			t.Fatalf("the error names line %d of %d", pe.Line, len(lines))
		}
		if l := strings.Trim(lines[pe.Line-1], " \t"); len(l) >= 16 && strings.Contains(err.Error(), l) {
			t.Fatalf("the error quotes the line: %v", err)
		}
		for path, data := range map[string][]byte{fs.Config: conf, fs.Credentials: cred} {
			if got, _ := os.ReadFile(path); string(got) != string(data) {
				t.Fatalf("a refused write changed %s", filepath.Base(path))
			}
		}
	})
}
