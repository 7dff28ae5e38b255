package awsprofile

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
)

// sdkRegion is the region aws-sdk-go-v2 reads for the profile.
func sdkRegion(t *testing.T, fs Files, profile string) string {
	t.Helper()
	sc, err := config.LoadSharedConfigProfile(context.Background(), profile, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles = []string{fs.Config}
		o.CredentialsFiles = []string{fs.Credentials}
	})
	if err != nil {
		t.Fatalf("aws-sdk-go-v2 cannot read profile %q: %v", profile, err)
	}
	return sc.Region
}

// configparser keeps a [DEFAULT] section apart and merges it into every
// profile; a profile of that name, or a user's own such section, is
// refused rather than written or rewritten.
func TestDEFAULTIsRefusedAsANameAndAsAUsersSection(t *testing.T) {
	if err := CheckName("DEFAULT"); err == nil {
		t.Error("CheckName accepts DEFAULT")
	}
	if err := CheckName("default"); err != nil {
		t.Errorf("CheckName refuses default: %v", err)
	}
	f := files(t)
	if _, err := f.Write(Profile{Name: "DEFAULT", Region: "us-east-1", Credentials: static}, true); err == nil {
		t.Error("Write wrote a DEFAULT profile")
	}
	for _, name := range []string{f.Config, f.Credentials} {
		if _, err := os.Stat(name); err == nil {
			t.Errorf("a refused DEFAULT profile created %s", name)
		}
	}
	users := "[DEFAULT]\nregion = eu-west-1\n[profile mine]\noutput = json\n"
	os.WriteFile(f.Config, []byte(users), 0o600)
	_, err := f.Write(Profile{Name: "p", Region: "us-east-1", Credentials: static}, true)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 1 {
		t.Errorf("a user's [DEFAULT]: err = %v, want a ParseError for line 1", err)
	}
	if read(t, f.Config) != users {
		t.Error("a user's [DEFAULT] file was rewritten")
	}
}

// aws-sdk-go-v2 ends a section line at ';' or '#'.
func TestNamesWithCommentCharactersAreRefused(t *testing.T) {
	for _, name := range []string{"dev;x", "dev#x", "dev ;x"} {
		if err := CheckName(name); err == nil {
			t.Errorf("CheckName accepts %q", name)
		}
	}
}

// Neither botocore nor aws-sdk-go-v2 continues a line that ends in '\'.
func TestAValueEndingInABackslashLeavesTheNextLineAlone(t *testing.T) {
	f := files(t)
	os.WriteFile(f.Config, []byte("[profile win]\ntools = C:\\tools\\\nregion = eu-west-1\n"), 0o600)
	if got := sdkRegion(t, f, "win"); got != "eu-west-1" {
		t.Fatalf("before the write the SDK reads region %q", got)
	}
	if _, err := f.Write(Profile{Name: "p", Region: "us-east-1", Credentials: static}, false); err != nil {
		t.Fatal(err)
	}
	if got := sdkRegion(t, f, "win"); got != "eu-west-1" {
		t.Errorf("after the write the SDK reads region %q, want eu-west-1:\n%s", got, read(t, f.Config))
	}
}

// A parse error names the file and line, never the line: a credentials
// file holds secret keys.
func TestParseErrorsNameTheLineNotItsText(t *testing.T) {
	const secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"
	f := files(t)
	os.WriteFile(f.Credentials, []byte("[default]\naws_access_key_id = AKIAUSER\n"+secret+"\n"), 0o600)
	_, err := f.Write(Profile{Name: "p", Region: "us-east-1", Credentials: static}, false)
	if err == nil {
		t.Fatal("a line with no '=' was accepted")
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), secret[:8]) {
		t.Errorf("the error quotes the file: %v", err)
	}
	if !strings.Contains(err.Error(), f.Credentials) || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("the error does not name %s, line 3: %v", f.Credentials, err)
	}
}

// botocore (shlex) and aws-sdk-go-v2 (a run of blanks) both read
// [profile  prod] as prod.
func TestAProfileSpelledWithSeveralBlanksIsThatProfile(t *testing.T) {
	f := files(t)
	os.WriteFile(f.Config, []byte("[profile  prod]\nregion = eu-west-1\n"), 0o600)
	if ok, err := f.Exists("prod"); !ok || err != nil {
		t.Errorf("Exists(prod) = %v, %v; want true", ok, err)
	}
	if _, err := f.Write(Profile{Name: "prod", Region: "us-east-1", Credentials: static}, false); !errors.Is(err, errExists) {
		t.Errorf("Write without overwrite: err = %v, want errExists", err)
	}
	if _, err := f.Write(Profile{Name: "prod", Region: "us-east-1", Credentials: static}, true); err != nil {
		t.Fatal(err)
	}
	if got := read(t, f.Config); got != "[profile prod]\nregion = us-east-1\n" {
		t.Errorf("the overwritten config reads\n%s", got)
	}
}
