// Package jobfiles writes the files one step of this action leaves in the
// job for later steps (an AWS profile, and for refresh-credentials the
// credential helper and its first cache entry), and removes exactly those in
// the action's post step. It owns the names of those files in the job's
// directory and the post step's marker protocol; the credential helper's
// own names (its executable, its cache files) come from pkg/credprocess.
//
// It sits beside package jobdir, not in it: jobdir only says where the
// job's directory is for the runner's layout, imports nothing of this
// project, and so can be used by any package, the helper's included; this
// package needs the profile writer and the helper, which import more.
package jobfiles

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/org/oidc-aws-action/pkg/awsprofile"
	"github.com/org/oidc-aws-action/pkg/display"
	"github.com/org/oidc-aws-action/pkg/inputs"
	"github.com/org/oidc-aws-action/pkg/jobdir"
	"github.com/org/oidc-aws-action/pkg/stsexchange"
	"github.com/org/oidc-aws-action/pkg/workflow"
)

// Target is where aws-profile goes, settled before any network call so
// that a step that cannot write its profile fails before it spends a token.
type Target struct {
	dir   *jobdir.Dir
	files awsprofile.Files
	// export lists the variables for later steps: the files this step
	// chose, never one the job set itself.
	export [][2]string
	// shown names the files (config, credentials) as later steps name
	// them, for the log.
	shown [2]string
	// hasPost: the runner offers GITHUB_STATE, so the post step will
	// learn what to remove (a run by hand has neither).
	hasPost bool
}

// profileFileVars are the variables that name the two files, as the AWS CLI
// and SDKs read them.
var profileFileVars = []struct{ variable, file string }{
	{"AWS_CONFIG_FILE", configName},
	{"AWS_SHARED_CREDENTIALS_FILE", credentialsName},
}

// Plan finds the files: where the job's AWS_CONFIG_FILE and
// AWS_SHARED_CREDENTIALS_FILE point, when set and reachable from here, and
// otherwise the job's directory for this action (package jobdir says why
// not ~/.aws). It is the step's preflight for its files: whatever would
// stop the step from writing its profile and can be known before the
// token is refused here, before the step spends one (the job's directory,
// one file named by both variables, an existing profile), naming the
// input that asked for the profile.
func Plan(getenv func(string) string, in *inputs.Inputs) (*Target, error) {
	input := inputs.AWSProfile
	if in.RefreshCredentials {
		input = inputs.RefreshCredentials
	}
	fail := func(err error) (*Target, error) { return nil, fmt.Errorf("input %q: %w", input, err) }
	d, err := jobdir.Find(getenv)
	if err != nil {
		return fail(err)
	}
	// Every mode writes in the job's directory: the files, the helper, or
	// at least the post step's marker.
	if err := d.Check(); err != nil {
		return fail(err)
	}
	t := &Target{dir: d, files: awsprofile.Files{UID: d.UID, GID: d.GID}, hasPost: getenv("GITHUB_STATE") != ""}
	for i, v := range profileFileVars {
		path := getenv(v.variable)
		switch {
		case path == os.DevNull && v.file == credentialsName && in.RefreshCredentials:
			// The job turned the credentials file off, and a refreshable
			// profile needs none: nothing is read or written there, and
			// later steps read /dev/null as the job asked.
			t.shown[i] = v.variable + " (" + path + ")"
			continue
		case path == os.DevNull && v.file == credentialsName:
			return fail(display.Fixed(
				fmt.Sprintf("%s is %s, where the profile's keys cannot be written", v.variable, path),
				"unset AWS_SHARED_CREDENTIALS_FILE for this step, or use refresh-credentials: true, whose profile needs no credentials file",
			))
		case path == os.DevNull:
			return fail(display.Fixed(
				fmt.Sprintf("%s is %s, where the profile cannot be written", v.variable, path),
				"point AWS_CONFIG_FILE at a file, or unset it to use this action's per-job config file",
			))
		case path != "":
			if err := d.Reachable(v.variable, path); err != nil {
				return fail(err)
			}
			t.shown[i] = v.variable + " (" + path + ")"
			path = d.Local(path)
		default:
			var later string
			path, later = d.File(v.file)
			t.export = append(t.export, [2]string{v.variable, later})
			t.shown[i] = later
		}
		if v.file == configName {
			t.files.Config = path
		} else {
			t.files.Credentials = path
		}
	}
	if err := t.checkTwoFiles(); err != nil {
		return fail(err)
	}
	// Read even when the profile may be overwritten: a file the AWS readers
	// would read differently is refused here, before the token, not after
	// STS has answered.
	exists, err := t.files.Exists(ProfileName(in))
	if err != nil {
		return fail(err)
	}
	if !in.OverwriteProfile {
		if exists {
			if in.Profile != "" {
				input = inputs.AWSProfile
			}
			return nil, fmt.Errorf("input %q: profile %s is already in %s (an earlier step or the job wrote it); set overwrite-aws-profile: true to replace it, or choose another name", input, display.LogQuote(ProfileName(in)), t.shown[0]+" or "+t.shown[1])
		}
	}
	return t, nil
}

// checkTwoFiles refuses one file named for both parts of the profile,
// rather than write both into it. The two are written as two files, each
// replaced whole through a rename, so the second write would drop the
// first's keys, and the step would still report success. Writing both
// parts into one file could be made to work for the AWS CLI and SDKs
// ([name] with the keys, [profile name] with the settings), but not for
// default, whose section is the same in both, and the post step would
// then have to untangle one file as two; no setup needs it, since a
// profile's keys may stand in the config file anyway. The paths are
// compared as written and, when both exist, as files.
func (t *Target) checkTwoFiles() error {
	config, creds := t.files.Config, t.files.Credentials
	if creds == "" {
		return nil
	}
	same := filepath.Clean(config) == filepath.Clean(creds)
	if !same {
		a, aerr := os.Stat(config)
		b, berr := os.Stat(creds)
		same = aerr == nil && berr == nil && os.SameFile(a, b)
	}
	if !same {
		return nil
	}
	return display.Fixed(
		fmt.Sprintf("%s and %s are one file, and this step writes the profile's settings and its keys to two files", t.shown[0], t.shown[1]),
		"point AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE at two files, or unset them to use this action's per-job files",
	)
}

// exports reports whether this step chose the file that variable names,
// in the job's directory, rather than the job setting it.
func (t *Target) exports(variable string) bool {
	for _, kv := range t.export {
		if kv[0] == variable {
			return true
		}
	}
	return false
}

// WriteKeys puts the credentials in the profile, records what the post step
// must remove, and tells later steps where the files are.
func (t *Target) WriteKeys(r *workflow.Runner, in *inputs.Inputs, cr stsexchange.Credentials) error {
	var exports [][2]string
	if in.OutputEnvCredentials {
		// As configure-aws-credentials does: with the variables exported
		// too, AWS_PROFILE names the profile they came with.
		exports = append(exports, [2]string{"AWS_PROFILE", in.Profile})
	}
	return t.save(r, in, awsprofile.Profile{
		Name:   in.Profile,
		Region: in.Region,
		Credentials: &awsprofile.Credentials{
			AccessKeyID:     cr.AccessKeyID,
			SecretAccessKey: cr.SecretAccessKey,
			SessionToken:    cr.SessionToken,
		},
	}, nil, exports)
}

// save writes p into the files, after prepare (when set) has put what the
// profile needs into the job's directory, records what the post step must
// remove, and exports the files' variables and then exports.
func (t *Target) save(r *workflow.Runner, in *inputs.Inputs, p awsprofile.Profile, prepare func(*cleanupState) error, exports [][2]string) error {
	state := cleanupState{Profile: p.Name, Config: t.files.Config, Credentials: t.files.Credentials}
	var err error
	// With a post step to come, the directory holds its marker even when
	// the profile files are elsewhere.
	if len(t.export) > 0 || prepare != nil || t.hasPost {
		created, cerr := t.dir.Create()
		if cerr != nil {
			return fmt.Errorf("cannot create this job's directory for the profile: %w", cerr)
		}
		state.Dir = created
	}
	if t.hasPost {
		if state.Nonce, err = writeMarker(t.dir); err != nil {
			return fmt.Errorf("cannot write the post step's marker in this job's directory: %w", err)
		}
	}
	if prepare != nil {
		err = prepare(&state)
	}
	var created awsprofile.Created
	if err == nil {
		created, err = t.files.Write(p, in.OverwriteProfile)
		// Record even a failed write: the directory may be new. A file
		// the job named (AWS_CONFIG_FILE) that this step created is not
		// removed whole: only the profile is taken out of it, and only
		// while the job's variable still names it in the same directory.
		if created.Config && t.exports("AWS_CONFIG_FILE") {
			state.Remove = append(state.Remove, configName)
		}
		if created.Credentials && t.exports("AWS_SHARED_CREDENTIALS_FILE") {
			state.Remove = append(state.Remove, credentialsName)
		}
		if !t.exports("AWS_CONFIG_FILE") {
			state.ConfigParent = parentID(t.files.Config)
		}
		if !t.exports("AWS_SHARED_CREDENTIALS_FILE") {
			state.CredentialsParent = parentID(t.files.Credentials)
		}
	}
	if t.hasPost {
		if serr := saveCleanup(r, state); serr != nil && err == nil {
			err = serr
		}
	}
	if err != nil {
		return fmt.Errorf("cannot write profile %s: %w", display.LogQuote(p.Name), err)
	}
	// A profile with a credential_process leaves the credentials file
	// alone; later steps are told of it only if it is there (an earlier
	// step of the job wrote one), never of a path that does not exist.
	credsThere := created.CredentialsWritten
	if !credsThere {
		_, serr := os.Lstat(t.files.Credentials)
		credsThere = serr == nil
	}
	for _, kv := range append(slices.Clone(t.export), exports...) {
		if kv[0] == "AWS_SHARED_CREDENTIALS_FILE" && !credsThere {
			continue
		}
		if err := r.SetEnv(kv[0], kv[1]); err != nil {
			return err
		}
	}
	wrote := t.shown[0]
	if created.CredentialsWritten {
		wrote += " and " + t.shown[1]
	}
	r.Infof("Wrote profile %s to %s", display.LogQuote(p.Name), workflow.Escape(wrote))
	return nil
}

// ProfileCredentials reads the source credentials of role chaining from a
// profile, as configure-aws-credentials does when the step sets
// AWS_PROFILE to an earlier step's aws-profile.
func ProfileCredentials(getenv func(string) string, name string) (stsexchange.Credentials, error) {
	fail := func(err error) (stsexchange.Credentials, error) {
		return stsexchange.Credentials{}, display.Fixed(
			fmt.Sprintf("input %q: AWS_PROFILE is %s but its credentials cannot be read: %s", inputs.RoleChaining, display.LogQuote(name), workflow.Escape(err.Error())),
			"name a profile an earlier step of this action wrote with aws-profile, with AWS_SHARED_CREDENTIALS_FILE as that step exported it",
		)
	}
	path := getenv("AWS_SHARED_CREDENTIALS_FILE")
	if path == "" {
		return fail(errors.New("AWS_SHARED_CREDENTIALS_FILE is not set, and this container's ~/.aws is not the runner user's"))
	}
	if d, err := jobdir.Find(getenv); err != nil {
		return fail(err)
	} else if err := d.Reachable("AWS_SHARED_CREDENTIALS_FILE", path); err != nil {
		return fail(err)
	} else {
		path = d.Local(path)
	}
	keys, err := awsprofile.Files{Credentials: path}.StaticKeys(name)
	if err != nil {
		return fail(err)
	}
	return stsexchange.Credentials{AccessKeyID: keys.AccessKeyID, SecretAccessKey: keys.SecretAccessKey, SessionToken: keys.SessionToken}, nil
}
