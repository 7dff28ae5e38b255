// Package awsprofile adds named profiles to the shared config and
// credentials files that the AWS CLI and SDKs read, and takes them out
// again.
//
// The files are read as the AWS CLI and SDKs read them (ini.go), and a
// write replaces, adds or removes the one profile's section and keeps every
// other line as it was, so a user's own profiles, settings and comments
// survive, and several steps can add their profiles to the same files. A
// file those readers would not all read alike is refused, naming its line,
// rather than changed. A profile is written whole: its section in each file
// is replaced, never merged, so a rewritten profile keeps nothing of the
// old one. Files are replaced through a temporary file and a rename, mode
// 0600, so a reader never sees half a file and a planted symlink is
// replaced, not followed.
package awsprofile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

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

// CheckName reports whether name can be a profile name in both files:
// only ASCII letters, digits and _ . - + @ = , (nothing a reader could
// cut at, split, unquote or trim), and never DEFAULT, which configparser
// keeps as the section whose keys go into every other one. "default" is
// the AWS default profile and is allowed.
func CheckName(name string) error {
	switch {
	case name == "":
		return errors.New("must not be empty")
	case len(name) > 256:
		return errors.New("must be at most 256 characters")
	case name == "DEFAULT":
		return errors.New(`must not be DEFAULT, which botocore reads as the section merged into every profile (the AWS default profile is "default", in lower case)`)
	}
	for _, r := range name {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("_.-+@=,", r)) {
			return errors.New("may hold only ASCII letters, digits and _ . - + @ = ,")
		}
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

// both lists the two files with the way each names its sections.
func (f Files) both() []struct {
	path string
	kind fileKind
} {
	return []struct {
		path string
		kind fileKind
	}{{f.Credentials, credentialsFile}, {f.Config, configFile}}
}

// Exists reports whether the profile is in either file, so a caller can
// refuse early, before it has spent anything on credentials.
func (f Files) Exists(name string) (bool, error) {
	for _, x := range f.both() {
		file, err := load(x.path, x.kind)
		if err != nil {
			return false, err
		}
		if file != nil && file.profileFor(name) != nil {
			return true, nil
		}
	}
	return false, nil
}

// CredentialProcess returns the credential_process of the named profile in
// the config file, "" when the profile has none or is not there.
func (f Files) CredentialProcess(name string) (string, error) {
	file, err := load(f.Config, configFile)
	if err != nil || file == nil {
		return "", err
	}
	if s := file.profileFor(name); s != nil {
		k, _ := s.get("credential_process")
		return k.value, nil
	}
	return "", nil
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

	credFile, err := load(f.Credentials, credentialsFile)
	if err != nil {
		return created, err
	}
	confFile, err := load(f.Config, configFile)
	if err != nil {
		return created, err
	}
	credExisted, confExisted := credFile != nil, confFile != nil
	if credFile == nil {
		credFile = &iniFile{kind: credentialsFile, endsInNewline: true}
	}
	if confFile == nil {
		confFile = &iniFile{kind: configFile, endsInNewline: true}
	}
	if !overwrite && (credFile.profileFor(p.Name) != nil || confFile.profileFor(p.Name) != nil) {
		return created, fmt.Errorf("profile %q is already in %s: %w", p.Name, strings.Join(f.holding(credFile, confFile, p.Name), " and "), errExists)
	}
	credText, credChanged := credFile.withSection(p.Name, p.Name, creds)
	confText, _ := confFile.withSection(p.Name, configSection(p.Name), config)

	// Credentials first: a config file naming a profile whose keys are not
	// written yet would be the worse half-state.
	if credChanged {
		if err := f.save(f.Credentials, credText); err != nil {
			return created, err
		}
		created.Credentials = !credExisted
		created.CredentialsWritten = true
	}
	if err := f.save(f.Config, confText); err != nil {
		return created, err
	}
	created.Config = !confExisted
	return created, nil
}

// StaticKeys reads the profile's static keys from the credentials file,
// for a step that assumes another role with them (role chaining from an
// earlier step's profile).
func (f Files) StaticKeys(name string) (*Credentials, error) {
	file, err := load(f.Credentials, credentialsFile)
	if err != nil {
		return nil, err
	}
	var s *iniSection
	if file != nil {
		s = file.profileFor(name)
	}
	if s == nil {
		return nil, fmt.Errorf("%s has no profile %q", f.Credentials, name)
	}
	value := func(k string) string { v, _ := s.get(k); return v.value }
	c := &Credentials{
		AccessKeyID:     value("aws_access_key_id"),
		SecretAccessKey: value("aws_secret_access_key"),
		SessionToken:    value("aws_session_token"),
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return nil, fmt.Errorf("profile %q in %s has no aws_access_key_id and aws_secret_access_key", name, f.Credentials)
	}
	return c, nil
}

// Remove takes the profile out of both files, leaving everything else in
// them; a missing file or profile is no error.
func (f Files) Remove(name string) error {
	for _, x := range f.both() {
		file, err := load(x.path, x.kind)
		if err != nil {
			return err
		}
		if file == nil {
			continue
		}
		if text, changed := file.withSection(name, "", nil); changed {
			if err := f.save(x.path, text); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f Files) holding(cred, conf *iniFile, name string) []string {
	var in []string
	if cred.profileFor(name) != nil {
		in = append(in, f.Credentials)
	}
	if conf.profileFor(name) != nil {
		in = append(in, f.Config)
	}
	return in
}

// load reads an existing file, or returns nil when there is none. The
// file will be replaced, so a symbolic link is refused, not followed; a
// FIFO or device is refused without blocking (package inputfile).
func load(path string, kind fileKind) (*iniFile, error) {
	data, err := inputfile.ReadFile(path, syscall.O_NOFOLLOW, maxFileBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case errors.Is(err, syscall.ELOOP):
		return nil, fmt.Errorf("%s is a symbolic link; point the variable at the file itself", path)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return parseINI(path, kind, data)
}

// save replaces path with text, mode 0600: a new file gets f.UID and
// f.GID, an existing one keeps its owner.
func (f Files) save(path, text string) (err error) {
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
	if _, err := tmp.WriteString(text); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
