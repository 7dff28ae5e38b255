package awsprofile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/ini.v1"
)

// FuzzWriteKeepsOtherProfiles: whatever a user's config file holds, adding
// a profile leaves every other section as the readers saw it before, and
// the new profile reads back exactly; or the write is refused and the file
// left untouched.
func FuzzWriteKeepsOtherProfiles(f *testing.F) {
	f.Add([]byte(userConfig))
	f.Add([]byte(userCredentials))
	f.Add([]byte("[profile deploy]\nregion=x\n"))
	f.Add([]byte("top = level\n[a]\nk = \"quoted\"\nm = `tick`\nn = \"\"\"multi\nline\"\"\"\n"))
	// One directory for all inputs: a fresh one each time would cost more
	// than the write under test.
	dir := f.TempDir()
	fs := Files{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials"), UID: -1, GID: -1}
	f.Fuzz(func(t *testing.T, existing []byte) {
		before, err := ini.LoadSources(loadOptions, existing)
		if err != nil {
			return
		}
		os.Remove(fs.Credentials)
		if err := os.WriteFile(fs.Config, existing, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := `"/x y/oidc-aws" credential-process --tag 'a=b;c'`
		if _, err := fs.Write(Profile{Name: "deploy", Region: "us-east-1", CredentialProcess: cmd}, true); err != nil {
			if errors.Is(err, errNotKept) {
				// Refused, and the file left as it was.
				if b, _ := os.ReadFile(fs.Config); string(b) != string(existing) {
					t.Fatal("a refused write changed the file")
				}
				return
			}
			t.Fatalf("Write: %v", err)
		}
		after, err := ini.LoadSources(loadOptions, fs.Config)
		if err != nil {
			t.Fatalf("written file does not parse: %v", err)
		}
		got := after.Section("profile deploy").KeysHash()
		if len(got) != 2 || got["credential_process"] != cmd || got["region"] != "us-east-1" {
			t.Fatalf("profile reads back as %q", got)
		}
		for _, s := range before.Sections() {
			if s.Name() == "profile deploy" {
				continue
			}
			want, have := s.KeysHash(), after.Section(s.Name()).KeysHash()
			for k, v := range want {
				if have[k] != v {
					t.Fatalf("[%s] %s = %q became %q", s.Name(), k, v, have[k])
				}
			}
		}
	})
}
