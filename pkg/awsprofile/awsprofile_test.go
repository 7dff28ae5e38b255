package awsprofile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/org/oidc-aws-action/pkg/internal/prereq"
)

const userConfig = `# my own settings: keep them
[default]
region = eu-west-1
output = json

; the dev profile
[profile dev]
role_arn = arn:aws:iam::123456789012:role/dev
source_profile = default
s3 =
  max_concurrent_requests = 20
credential_process = "/opt/my tool/get" --flag 'a b'

[sso-session corp]
sso_region = us-east-1
`

const userCredentials = `# static keys of a user
[default]
aws_access_key_id = AKIAUSER
aws_secret_access_key = usersecret
`

func files(t *testing.T) Files {
	t.Helper()
	dir := t.TempDir()
	return Files{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials"), UID: -1, GID: -1}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section returns the plain keys of the section with that header, nil
// when there is none.
func section(t *testing.T, path, header string) map[string]string {
	t.Helper()
	kind := configFile
	if filepath.Base(path) == "credentials" {
		kind = credentialsFile
	}
	f, err := parseINI(path, kind, []byte(read(t, path)))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range f.sections {
		if s.header == header {
			m := map[string]string{}
			for _, k := range s.keys {
				m[k.name] = k.value
			}
			return m
		}
	}
	return nil
}

var static = &Credentials{AccessKeyID: "ASIAKEY", SecretAccessKey: "sec/ret+key=", SessionToken: "tok+en/=="}

func TestWriteKeepsUsersProfilesAndComments(t *testing.T) {
	f := files(t)
	os.WriteFile(f.Config, []byte(userConfig), 0o644)
	os.WriteFile(f.Credentials, []byte(userCredentials), 0o644)

	created, err := f.Write(Profile{Name: "deploy", Region: "us-east-2", Credentials: static}, false)
	if err != nil {
		t.Fatal(err)
	}
	if created.Config || created.Credentials {
		t.Errorf("created = %+v, want both files reported as existing", created)
	}
	conf, cred := read(t, f.Config), read(t, f.Credentials)
	for _, want := range []string{"# my own settings: keep them", "; the dev profile", "[sso-session corp]", "  max_concurrent_requests = 20", `credential_process = "/opt/my tool/get" --flag 'a b'`} {
		if !strings.Contains(conf, want) {
			t.Errorf("config lost %q:\n%s", want, conf)
		}
	}
	if !strings.Contains(cred, "# static keys of a user") || section(t, f.Credentials, "default")["aws_access_key_id"] != "AKIAUSER" {
		t.Errorf("credentials lost the user's profile:\n%s", cred)
	}
	if got := section(t, f.Config, "profile deploy"); got["region"] != "us-east-2" || len(got) != 1 {
		t.Errorf("config [profile deploy] = %v", got)
	}
	want := map[string]string{"aws_access_key_id": "ASIAKEY", "aws_secret_access_key": "sec/ret+key=", "aws_session_token": "tok+en/=="}
	if got := section(t, f.Credentials, "deploy"); len(got) != 3 || got["aws_access_key_id"] != want["aws_access_key_id"] || got["aws_secret_access_key"] != want["aws_secret_access_key"] || got["aws_session_token"] != want["aws_session_token"] {
		t.Errorf("credentials [deploy] = %v, want %v", got, want)
	}
	for _, p := range []string{f.Config, f.Credentials} {
		if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", p, st.Mode().Perm())
		}
	}
}

func TestWriteRefusesAnExistingProfileAndChangesNothing(t *testing.T) {
	for _, tc := range []struct {
		name, config, credentials string
	}{
		{"in the config file", "[profile deploy]\nregion = us-east-1\n", ""},
		{"in the credentials file", "", "[deploy]\naws_access_key_id = AKIAOLD\n"},
		{"default in the config file", "[default]\nregion = us-east-1\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := files(t)
			os.WriteFile(f.Config, []byte(tc.config), 0o600)
			os.WriteFile(f.Credentials, []byte(tc.credentials), 0o600)
			name := "deploy"
			if strings.Contains(tc.name, "default") {
				name = "default"
			}
			if ok, err := f.Exists(name); !ok || err != nil {
				t.Errorf("Exists = %v, %v; want true", ok, err)
			}
			_, err := f.Write(Profile{Name: name, Region: "eu-west-1", Credentials: static}, false)
			if !errors.Is(err, errExists) {
				t.Fatalf("err = %v, want errExists", err)
			}
			if read(t, f.Config) != tc.config || read(t, f.Credentials) != tc.credentials {
				t.Error("a refused write changed a file")
			}
		})
	}
}

func TestOverwriteReplacesTheWholeProfile(t *testing.T) {
	f := files(t)
	os.WriteFile(f.Config, []byte("[profile deploy]\nregion = us-east-1\nrole_arn = arn:aws:iam::123456789012:role/old\n[profile other]\nregion = x\n"), 0o600)
	os.WriteFile(f.Credentials, []byte("[deploy]\naws_access_key_id = AKIAOLD\naws_secret_access_key = old\naws_session_token = old\n"), 0o600)
	if _, err := f.Write(Profile{Name: "deploy", Region: "eu-west-1", Credentials: &Credentials{AccessKeyID: "AKIANEW", SecretAccessKey: "new"}}, true); err != nil {
		t.Fatal(err)
	}
	if got := section(t, f.Config, "profile deploy"); len(got) != 1 || got["region"] != "eu-west-1" {
		t.Errorf("config [profile deploy] = %v, want only the new region", got)
	}
	if got := section(t, f.Credentials, "deploy"); len(got) != 2 || got["aws_access_key_id"] != "AKIANEW" {
		t.Errorf("credentials [deploy] = %v, want the new keys and no old session token", got)
	}
	if section(t, f.Config, "profile other") == nil {
		t.Error("another profile was lost")
	}
}

func TestCredentialProcessProfileHasNoStaticKeys(t *testing.T) {
	f := files(t)
	os.WriteFile(f.Credentials, []byte("[default]\naws_access_key_id = AKIAOLD\naws_secret_access_key = old\n[keep]\naws_access_key_id = K\n"), 0o600)
	cmd := `/runner/_temp/oidc-aws/oidc-aws credential-process --role-arn arn:aws:iam::123456789012:role/r`
	created, err := f.Write(Profile{Name: "default", Region: "us-east-1", CredentialProcess: cmd}, true)
	if err != nil {
		t.Fatal(err)
	}
	if !created.Config || created.Credentials {
		t.Errorf("created = %+v, want a new config file and a changed credentials file", created)
	}
	if got := section(t, f.Config, "default"); got["credential_process"] != cmd || got["region"] != "us-east-1" {
		t.Errorf("config [default] = %v", got)
	}
	// Keys in the credentials file would win over the credential_process.
	if got := section(t, f.Credentials, "default"); got != nil {
		t.Errorf("credentials [default] still holds %v", got)
	}
	if section(t, f.Credentials, "keep") == nil {
		t.Error("another profile was lost")
	}
}

func TestSeveralProfilesInOneFile(t *testing.T) {
	f := files(t)
	for i, name := range []string{"dev", "prod"} {
		created, err := f.Write(Profile{Name: name, Region: "us-east-1", Credentials: static}, false)
		if err != nil {
			t.Fatal(err)
		}
		if first := i == 0; created.Config != first || created.Credentials != first {
			t.Errorf("%s: created = %+v, want %v", name, created, first)
		}
	}
	for _, name := range []string{"dev", "prod"} {
		if section(t, f.Credentials, name) == nil || section(t, f.Config, "profile "+name) == nil {
			t.Errorf("profile %s missing", name)
		}
	}
	if err := f.Remove("dev"); err != nil {
		t.Fatal(err)
	}
	if section(t, f.Credentials, "dev") != nil || section(t, f.Config, "profile dev") != nil {
		t.Error("Remove left profile dev")
	}
	if section(t, f.Credentials, "prod") == nil || section(t, f.Config, "profile prod") == nil {
		t.Error("Remove took profile prod too")
	}
}

func TestNewFilesGetTheGivenOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		prereq.Missing(t, "needs root to give files away")
	}
	f := files(t)
	f.UID, f.GID = 1001, 1002
	if _, err := f.Write(Profile{Name: "p", Region: "us-east-1", Credentials: static}, false); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{f.Config, f.Credentials} {
		st, _ := os.Stat(p)
		sys := st.Sys().(*syscall.Stat_t)
		if sys.Uid != 1001 || sys.Gid != 1002 {
			t.Errorf("%s owned by %d:%d, want 1001:1002", p, sys.Uid, sys.Gid)
		}
	}
}

func TestRefusesWhatIsNotAPlainFile(t *testing.T) {
	f := files(t)
	dir := filepath.Dir(f.Config)
	target := filepath.Join(dir, "elsewhere")
	os.WriteFile(target, []byte("[keep]\n"), 0o600)
	os.Symlink(target, f.Config)
	if _, err := f.Write(Profile{Name: "p", Credentials: static}, false); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("symlinked config: err = %v", err)
	}
	if read(t, target) != "[keep]\n" {
		t.Error("the symlink's target was changed")
	}
	os.Remove(f.Config)
	// A FIFO must fail at once, not block the step.
	if err := syscall.Mkfifo(f.Config, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(Profile{Name: "p", Credentials: static}, false); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("FIFO config: err = %v", err)
	}
}

func TestRefusesValuesTheReadersWouldMisread(t *testing.T) {
	f := files(t)
	for _, p := range []Profile{
		{Name: "p", CredentialProcess: "cmd\n[evil]"},
		{Name: "p", CredentialProcess: "cmd #x"},
		{Name: "p", CredentialProcess: "cmd\t;x"},
		{Name: "p", CredentialProcess: "'cmd x'"},
		{Name: "p", Region: `"us-east-1"`, Credentials: static},
		{Name: "p", Region: "us-east-1\u00a0", Credentials: static},
		{Name: "p", CredentialProcess: "cmd\x00x"},
		{Name: "p", Region: " us-east-1", Credentials: static},
		{Name: "p", Credentials: &Credentials{AccessKeyID: "A", SecretAccessKey: "s\nregion = x"}},
		{Name: "p"},
		{Name: "p", Credentials: static, CredentialProcess: "cmd"},
	} {
		if _, err := f.Write(p, false); err == nil {
			t.Errorf("Write(%+v) succeeded", p)
		}
	}
	if _, err := os.Stat(f.Config); err == nil {
		t.Error("a refused write created a file")
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{
		"dev": true, "prod-eu_1.x": true, "default": true, "Default": true, "a+b@c=d,e": true,
		"DEFAULT": false, "café": false, "dev;x": false, "dev#x": false, "a'b": false, `a"b`: false, "a:b": false,
		"": false, "a b": false, "a\tb": false, "a\nb": false, "[x": false, "x]": false,
		"a/b": false, `a\b`: false, "a\x00b": false, "a\u00a0b": false, strings.Repeat("x", 257): false,
	} {
		if err := CheckName(name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestStaticKeysReadsWhatWriteWrote(t *testing.T) {
	f := files(t)
	if _, err := f.Write(Profile{Name: "hub", Credentials: static}, false); err != nil {
		t.Fatal(err)
	}
	got, err := f.StaticKeys("hub")
	if err != nil || *got != *static {
		t.Errorf("StaticKeys = %+v, %v; want %+v", got, err, static)
	}
	if _, err := f.Write(Profile{Name: "refresh", CredentialProcess: "cmd"}, false); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"refresh", "missing"} {
		if _, err := f.StaticKeys(name); err == nil {
			t.Errorf("StaticKeys(%q) succeeded", name)
		}
	}
}

func TestAFileTheReadersReadDifferentlyIsLeftAlone(t *testing.T) {
	f := files(t)
	odd := "[profile mine]\nx = \"SECRETVALUE\"\n"
	os.WriteFile(f.Config, []byte(odd), 0o600)
	_, err := f.Write(Profile{Name: "p", Credentials: static}, false)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Path != f.Config || pe.Line != 2 {
		t.Fatalf("err = %v, want a ParseError for line 2 of %s", err, f.Config)
	}
	if strings.Contains(err.Error(), "SECRETVALUE") {
		t.Errorf("the error quotes the file: %v", err)
	}
	if read(t, f.Config) != odd {
		t.Error("the file changed")
	}
}

func TestCredentialProcessReadsBackWhatWriteWrote(t *testing.T) {
	f := files(t)
	line := `sh -c 'exec "$DIR/x" "$@"' x --policy '{"a":"#b;c"}'`
	if _, err := f.Write(Profile{Name: "hub", CredentialProcess: line}, false); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"hub": line, "missing": ""} {
		if got, err := f.CredentialProcess(name); err != nil || got != want {
			t.Errorf("CredentialProcess(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	if got, err := (Files{Config: filepath.Join(t.TempDir(), "none")}).CredentialProcess("hub"); got != "" || err != nil {
		t.Errorf("no file: %q, %v", got, err)
	}
}

// The INI library expands %(key)s in a value read with String(); the AWS
// readers do not, and neither may we: a role-chaining step reads its source
// profile's credential_process back, and a session policy may hold that.
func TestValuesAreReadBackWithoutINIInterpolation(t *testing.T) {
	f := files(t)
	line := `sh -c 'exec x' x --inline-session-policy '{"Resource":"arn:aws:s3:::b-%(region)s/*"}'`
	if _, err := f.Write(Profile{Name: "hub", Region: "us-east-1", CredentialProcess: line}, false); err != nil {
		t.Fatal(err)
	}
	if got, err := f.CredentialProcess("hub"); err != nil || got != line {
		t.Errorf("CredentialProcess = %q, %v; want %q", got, err, line)
	}
	keys := &Credentials{AccessKeyID: "AKIA%(x)s", SecretAccessKey: "s%(aws_access_key_id)s", SessionToken: "t%(aws_secret_access_key)s"}
	if _, err := f.Write(Profile{Name: "keys", Credentials: keys}, false); err != nil {
		t.Fatal(err)
	}
	if got, err := f.StaticKeys("keys"); err != nil || *got != *keys {
		t.Errorf("StaticKeys = %+v, %v; want %+v", got, err, keys)
	}
}
