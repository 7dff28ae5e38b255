// Package awsprofile adds named profiles to the shared config and
// credentials files that the AWS CLI and SDKs read, and takes them out
// again.
//
// The files are read and rewritten with an INI library rather than by
// appending text, so that a user's own profiles, settings and comments
// survive, and several steps can add their profiles to the same files. A
// profile is written whole: its section in each file is replaced, never
// merged, so a rewritten profile keeps nothing of the old one. Files are
// replaced through a temporary file and a rename, mode 0600, so a reader
// never sees half a file and a planted symlink is replaced, not followed.
package awsprofile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"unicode"

	"gopkg.in/ini.v1"

	"github.com/org/oidc-aws-action/pkg/inputfile"
)

// Profile is one named profile to write.
type Profile struct {
	Name string
	// Region goes to the config file; "" writes none.
	Region string
	// Exactly one of Credentials and CredentialProcess is set.
	//
	// Credentials are static keys, written to the credentials file.
	Credentials *Credentials
	// CredentialProcess is the command line of a credential_process,
	// written to the config file; the profile then has no section in the
	// credentials file, which the CLI and SDKs would read first.
	CredentialProcess string
}

// Credentials are static keys.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

// Files are the two files, named as this process reaches them.
type Files struct {
	Config, Credentials string
	// UID and GID own the files this package creates; -1 leaves the
	// process's own. A file that exists keeps its owner.
	UID, GID int
}

// Created says which files Write created, rather than changed: those can
// be removed whole when the job is done.
type Created struct {
	Config, Credentials bool
	// CredentialsWritten says whether Write wrote the credentials file at
	// all: a profile with a credential_process has nothing for it unless
	// an older profile of that name must be taken out of it.
	CredentialsWritten bool
}

// errExists is wrapped by Write's error when the profile is already in
// one of the files and overwrite is false.
var errExists = errors.New("profile exists")

// maxFileBytes bounds what is read of an existing file: shared config
// files are small, and the file may not be one at all.
const maxFileBytes = 1 << 20

// CheckName reports whether name can be a profile name in both files. The
// rules are configure-aws-credentials': no white space, brackets or path
// separators; control characters are refused too.
func CheckName(name string) error {
	switch {
	case name == "":
		return errors.New("must not be empty")
	case len(name) > 256:
		return errors.New("must be at most 256 characters")
	case strings.ContainsAny(name, "[]"):
		return errors.New("must not contain brackets")
	case strings.ContainsAny(name, `/\`):
		return errors.New("must not contain path separators")
	}
	if strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return errors.New("must not contain white space or control characters")
	}
	return nil
}

// checkValue refuses what the INI writer would quote or split, since the
// AWS readers would then see another value than ours.
func checkValue(key, v string) error {
	if strings.ContainsAny(v, "\x00\r\n`") || strings.TrimSpace(v) != v {
		return fmt.Errorf("the %s value cannot be written to an AWS config file (line breaks, backticks or surrounding spaces)", key)
	}
	return nil
}

// configSection is the profile's section name in the config file, where
// every profile but default carries the "profile " prefix.
func configSection(name string) string {
	if name == "default" {
		return name
	}
	return "profile " + name
}

// Exists reports whether the profile is in either file, so a caller can
// refuse early, before it has spent anything on credentials.
func (f Files) Exists(name string) (bool, error) {
	for _, x := range []struct{ path, section string }{{f.Credentials, name}, {f.Config, configSection(name)}} {
		file, _, err := load(x.path)
		if err != nil {
			return false, err
		}
		if file != nil && hasSection(file, x.section) {
			return true, nil
		}
	}
	return false, nil
}

// CredentialProcess returns the credential_process of the named profile in
// the config file, "" when the profile has none or is not there.
func (f Files) CredentialProcess(name string) (string, error) {
	file, _, err := load(f.Config)
	if err != nil || file == nil {
		return "", err
	}
	sec, err := file.GetSection(configSection(name))
	if err != nil {
		return "", nil
	}
	return sec.Key("credential_process").Value(), nil
}

// Write adds the profile to both files. Unless overwrite is true it fails,
// changing nothing, when either file already has it.
func (f Files) Write(p Profile, overwrite bool) (Created, error) {
	var created Created
	if err := CheckName(p.Name); err != nil {
		return created, fmt.Errorf("profile name %q %w", p.Name, err)
	}
	if (p.Credentials == nil) == (p.CredentialProcess == "") {
		return created, errors.New("a profile needs either static credentials or a credential_process")
	}
	config := [][2]string{}
	if p.Region != "" {
		config = append(config, [2]string{"region", p.Region})
	}
	var creds [][2]string
	if c := p.Credentials; c != nil {
		creds = [][2]string{{"aws_access_key_id", c.AccessKeyID}, {"aws_secret_access_key", c.SecretAccessKey}}
		if c.SessionToken != "" {
			creds = append(creds, [2]string{"aws_session_token", c.SessionToken})
		}
	} else {
		config = append(config, [2]string{"credential_process", p.CredentialProcess})
	}
	for _, kv := range append(append([][2]string{}, config...), creds...) {
		if err := checkValue(kv[0], kv[1]); err != nil {
			return created, err
		}
	}

	credFile, credExisted, err := load(f.Credentials)
	if err != nil {
		return created, err
	}
	confFile, confExisted, err := load(f.Config)
	if err != nil {
		return created, err
	}
	if credFile == nil {
		credFile = ini.Empty(loadOptions)
	}
	if confFile == nil {
		confFile = ini.Empty(loadOptions)
	}
	confName := configSection(p.Name)
	if !overwrite && (hasSection(credFile, p.Name) || hasSection(confFile, confName)) {
		return created, fmt.Errorf("profile %q is already in %s: %w", p.Name, strings.Join(f.holding(credFile, confFile, p.Name), " and "), errExists)
	}
	credChanged := replaceSection(credFile, p.Name, creds)
	replaceSection(confFile, confName, config)

	// Credentials first: a config file naming a profile whose keys are not
	// written yet would be the worse half-state.
	if credChanged {
		if err := f.save(f.Credentials, credFile); err != nil {
			return created, err
		}
		created.Credentials = !credExisted
		created.CredentialsWritten = true
	}
	if err := f.save(f.Config, confFile); err != nil {
		return created, err
	}
	created.Config = !confExisted
	return created, nil
}

// StaticKeys reads the profile's static keys from the credentials file,
// for a step that assumes another role with them (role chaining from an
// earlier step's profile).
func (f Files) StaticKeys(name string) (*Credentials, error) {
	file, _, err := load(f.Credentials)
	if err != nil {
		return nil, err
	}
	if file == nil || !hasSection(file, name) {
		return nil, fmt.Errorf("%s has no profile %q", f.Credentials, name)
	}
	s := file.Section(name)
	c := &Credentials{
		AccessKeyID:     s.Key("aws_access_key_id").Value(),
		SecretAccessKey: s.Key("aws_secret_access_key").Value(),
		SessionToken:    s.Key("aws_session_token").Value(),
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return nil, fmt.Errorf("profile %q in %s has no aws_access_key_id and aws_secret_access_key", name, f.Credentials)
	}
	return c, nil
}

// Remove takes the profile out of both files, leaving everything else in
// them; a missing file or profile is no error.
func (f Files) Remove(name string) error {
	for _, x := range []struct{ path, section string }{{f.Credentials, name}, {f.Config, configSection(name)}} {
		file, _, err := load(x.path)
		if err != nil {
			return err
		}
		if file == nil || !hasSection(file, x.section) {
			continue
		}
		file.DeleteSection(x.section)
		if err := f.save(x.path, file); err != nil {
			return err
		}
	}
	return nil
}

func (f Files) holding(cred, conf *ini.File, name string) []string {
	var in []string
	if hasSection(cred, name) {
		in = append(in, f.Credentials)
	}
	if hasSection(conf, configSection(name)) {
		in = append(in, f.Config)
	}
	return in
}

func hasSection(f *ini.File, name string) bool {
	_, err := f.GetSection(name)
	return err == nil
}

// replaceSection sets the section to exactly kvs, or removes it when kvs
// is empty; it reports whether the file changed.
func replaceSection(f *ini.File, name string, kvs [][2]string) bool {
	had := hasSection(f, name)
	f.DeleteSection(name)
	if len(kvs) == 0 {
		return had
	}
	s, _ := f.NewSection(name)
	for _, kv := range kvs {
		// Cannot fail: the key names are ours and not empty.
		_, _ = s.NewKey(kv[0], kv[1])
	}
	return true
}

// loadOptions read the files as botocore's configparser does: no inline
// comments, quotes kept as part of the value, indented lines under a key
// as its nested settings (the s3 = / max_concurrent_requests form).
var loadOptions = ini.LoadOptions{
	IgnoreInlineComment:     true,
	PreserveSurroundedQuote: true,
	AllowNestedValues:       true,
}

func init() {
	// Keep "key = value" as the AWS docs write it, without aligning the
	// signs of a whole section.
	ini.PrettyFormat = false
	ini.PrettyEqual = true
}

// load reads an existing file, or returns nil when there is none. The
// file will be replaced, so a symbolic link is refused, not followed; a
// FIFO or device is refused without blocking (package inputfile).
func load(path string) (*ini.File, bool, error) {
	data, err := inputfile.ReadFile(path, syscall.O_NOFOLLOW, maxFileBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, nil
	case errors.Is(err, syscall.ELOOP):
		return nil, false, fmt.Errorf("%s is a symbolic link; point the variable at the file itself", path)
	case err != nil:
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	file, err := ini.LoadSources(loadOptions, data)
	if err != nil {
		return nil, false, fmt.Errorf("%s is not an INI file: %w", path, err)
	}
	if err := roundTrips(file); err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	return file, true, nil
}

// errNotKept is wrapped by the error for an existing file that the INI
// writer would not give back as it was read (odd quoting, say): rather
// than change a user's settings, the file is left alone.
var errNotKept = errors.New("its settings would not survive a rewrite")

// roundTrips checks that writing the file and reading it back gives every
// section, key and value as read.
func roundTrips(file *ini.File) error {
	var b strings.Builder
	if _, err := file.WriteTo(&b); err != nil {
		return err
	}
	again, err := ini.LoadSources(loadOptions, []byte(b.String()))
	if err != nil || len(again.Sections()) != len(file.Sections()) {
		return errNotKept
	}
	for _, s := range file.Sections() {
		t, err := again.GetSection(s.Name())
		if err != nil || len(t.Keys()) != len(s.Keys()) {
			return errNotKept
		}
		for _, k := range s.Keys() {
			if !t.HasKey(k.Name()) || t.Key(k.Name()).Value() != k.Value() {
				return fmt.Errorf("%w (the value of %s in [%s])", errNotKept, k.Name(), s.Name())
			}
		}
	}
	return nil
}

// save replaces path with the file's text, mode 0600: a new file gets
// f.UID and f.GID, an existing one keeps its owner.
func (f Files) save(path string, file *ini.File) (err error) {
	uid, gid := f.UID, f.GID
	if st, err := os.Lstat(path); err == nil {
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			uid, gid = int(sys.Uid), int(sys.Gid)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if uid >= 0 || gid >= 0 {
		if err := tmp.Chown(uid, gid); err != nil {
			tmp.Close()
			return err
		}
	}
	if _, err := file.WriteTo(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
