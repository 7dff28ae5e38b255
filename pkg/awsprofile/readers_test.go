package awsprofile

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/org/oidc-aws-action/pkg/internal/awsreaders"
)

// readerCase is a pair of user files and the profile a step writes into
// them.
type readerCase struct {
	name, config, credentials string
	// profile is the step's; keys makes it a static-keys profile, else a
	// credential_process one.
	profile string
	keys    bool
	// cli: the AWS CLI v2 reads this case too, with cliGets (profile,
	// key) besides a key of each profile.
	cli     bool
	cliGets [][2]string
}

// acceptedCorpus holds the shapes of real files that every AWS reader
// reads alike, so the step must keep them as they are.
var acceptedCorpus = []readerCase{
	{name: "comments, nested s3 block, sso-session, quotes inside a value", config: userConfig, credentials: userCredentials, profile: "deploy", keys: true,
		cli: true, cliGets: [][2]string{{"dev", "s3.max_concurrent_requests"}}},
	{name: "step replaces default, which another profile sources", profile: "default",
		config:      "[default]\nregion = eu-west-1\n\n[profile chained]\nrole_arn = arn:aws:iam::123456789012:role/c\nsource_profile = default\n",
		credentials: "[default]\naws_access_key_id = AKIAUSER\naws_secret_access_key = usersecret\n"},
	{name: "profile spelled with two blanks or a tab is replaced in place", profile: "prod", cli: true,
		config:      "[profile  prod]\nregion = us-east-1\nrole_arn = arn:aws:iam::123456789012:role/old\n\n[profile\tdev]\nregion = eu-west-2\n",
		credentials: "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = devsecret\n"},
	{name: "value ending in a backslash, then a key", profile: "ci",
		config: "[profile win]\ntools = C:\\tools\\\nregion = eu-west-1\n\n[profile ci]\nregion = us-east-1\n"},
	{name: "continued value, comments between keys, ':' separator, capital key", profile: "new", keys: true,
		cli: true, cliGets: [][2]string{{"default", "description"}},
		config:      "# top comment\n[default]\nRegion: ap-south-1\ndescription = first\n  second line\n    third line\n  ; indented comment\n# comment\noutput=json\n",
		credentials: "[default]\naws_access_key_id=AKIADEF\naws_secret_access_key=a#b;c\n"},
	{name: "headers with trailing comments, empty value, no final newline", profile: "other",
		config:      "[profile a] # the a profile\nregion = sa-east-1\nempty =\n[profile b];b\nregion = ca-central-1",
		credentials: "[a]\naws_access_key_id = AKIAA\naws_secret_access_key = asecret"},
	{name: "nested block after a blank line, with comments inside", profile: "default",
		config: "[default]\nregion = us-east-2\n\n[profile s3user]\nregion = eu-north-1\ns3 =\n\n  max_concurrent_requests = 20\n  # slow link\n  addressing_style = path\n\n[services dev]\ns3 =\n  endpoint_url = http://127.0.0.1:9000\n\n[plugins]\ncli_legacy_plugin_path = /opt\n"},
	{name: "default in both files, step writes default", profile: "default", keys: true,
		config:      "[default]\nregion = us-west-1\n\n[profile keep]\nregion = me-south-1\n",
		credentials: "[default]\naws_access_key_id = AKIAOLD\naws_secret_access_key = old\n\n[Default]\naws_access_key_id = AKIACASE\naws_secret_access_key = case\n\n[keep]\naws_access_key_id = AKIAKEEP\naws_secret_access_key = keep\n"},
	{name: "[profile default] names the default profile", profile: "default",
		config: "[profile default]\nregion = il-central-1\n[profile z]\nregion = af-south-1\n"},
	{name: "indented keys, a nested block under an indented key", profile: "b",
		config: "[profile a]\n    region = eu-west-1\n    output = json\n    description = first\n\t     second\n    s3 =\n      max_concurrent_requests = 20\n[profile b]\n  region = us-east-1\n"},
	{name: "odd characters inside values and comments", profile: "p", keys: true,
		config:      "# caf\u00e9 \u00a0 \x0b\u2028 notes\n[profile a]\nregion = eu-west-1\ndescription = no\u00a0break\x0bvtab\x1cfs\u2028ls\u0085nel \U0001F642\n",
		credentials: "[a]\naws_access_key_id = AKIAA\naws_secret_access_key = s\u00a0s\n"},
	{name: "empty files", profile: "p", keys: true},
}

// rawView is a parsed file as botocore's raw_config_parse gives it.
func rawView(f *iniFile) map[string]map[string]any {
	m := map[string]map[string]any{}
	for _, s := range f.sections {
		keys := map[string]any{}
		for _, k := range s.keys {
			if k.nested == nil {
				keys[k.name] = k.value
				continue
			}
			n := map[string]any{}
			for _, kv := range k.nested {
				n[kv[0]] = kv[1]
			}
			keys[k.name] = n
		}
		m[s.header] = keys
	}
	return m
}

// sameJSON compares views as JSON would carry them.
func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// readerViews is every reader's view of the files, but for one profile.
type readerViews struct {
	botocoreConfig, botocoreCredentials, botocoreProfiles map[string]map[string]any
	goSDK                                                 map[string]awsreaders.GoSDK
	// all is botocore's whole reading.
	all awsreaders.BotocoreView
}

func withoutProfile(v awsreaders.FileView, f *iniFile, profile string, byHeader bool) map[string]map[string]any {
	m := maps.Clone(v.Sections)
	if m == nil {
		m = map[string]map[string]any{}
	}
	if !byHeader {
		delete(m, profile)
		return m
	}
	if f != nil {
		if s := f.profileFor(profile); s != nil {
			delete(m, s.header)
		}
	}
	return m
}

// views reads fs with botocore and aws-sdk-go-v2, checks that botocore
// reads what parseINI reads, and returns the views without profile.
func views(t *testing.T, b *awsreaders.Botocore, fs Files, names []string, profile string) readerViews {
	t.Helper()
	bv, err := b.Read(fs.Config, fs.Credentials)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		v    awsreaders.FileView
		path string
		kind fileKind
	}{{bv.Config, fs.Config, configFile}, {bv.Credentials, fs.Credentials, credentialsFile}} {
		if x.v.Error != "" {
			t.Fatalf("botocore cannot read %s: %s", filepath.Base(x.path), x.v.Error)
		}
	}
	conf, err := load(fs.Config, configFile)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := load(fs.Credentials, credentialsFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		f *iniFile
		v awsreaders.FileView
	}{{conf, bv.Config}, {cred, bv.Credentials}} {
		if x.f == nil {
			continue
		}
		if ours := rawView(x.f); !sameJSON(ours, x.v.Sections) {
			j, _ := json.Marshal(ours)
			k, _ := json.Marshal(x.v.Sections)
			t.Fatalf("botocore reads the file otherwise than this package:\nbotocore %s\nours     %s", k, j)
		}
	}
	var botoNames []string
	for _, m := range []map[string]map[string]any{bv.Profiles.Sections, bv.Credentials.Sections} {
		for n := range m {
			if n != profile && !slices.Contains(botoNames, n) {
				botoNames = append(botoNames, n)
			}
		}
	}
	others := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == profile })
	if slices.Sort(botoNames); !slices.Equal(botoNames, others) {
		t.Errorf("botocore finds profiles %q, this package %q", botoNames, others)
	}
	v := readerViews{
		botocoreConfig:      withoutProfile(bv.Config, conf, profile, true),
		botocoreCredentials: withoutProfile(bv.Credentials, nil, profile, false),
		botocoreProfiles:    withoutProfile(bv.Profiles, nil, profile, false),
		goSDK:               map[string]awsreaders.GoSDK{},
		all:                 bv,
	}
	for _, n := range names {
		if n == profile {
			continue
		}
		g := awsreaders.ReadGoSDK(fs.Config, fs.Credentials, n)
		v.goSDK[n] = g
		// aws-sdk-go-v2 merges the credentials file's settings over the
		// config file's.
		want := ""
		for _, f := range []*iniFile{conf, cred} {
			if s := f.profileForOrNil(n); s != nil {
				if k, ok := s.get("region"); ok {
					want = k.value
				}
			}
		}
		if g.NotThere {
			t.Errorf("aws-sdk-go-v2 finds no profile %q, this package does", n)
		}
		if g.Err == "" && g.Config.Region != want {
			t.Errorf("aws-sdk-go-v2 reads profile %q's region as %q, this package as %q", n, g.Config.Region, want)
		}
	}
	return v
}

// profileForOrNil is profileFor on a file that may not be there.
func (f *iniFile) profileForOrNil(name string) *iniSection {
	if f == nil {
		return nil
	}
	return f.profileFor(name)
}

// sourcedFrom reports whether profile's source_profile chain, in either
// file, reaches target.
func sourcedFrom(t *testing.T, fs Files, profile, target string) bool {
	t.Helper()
	conf, _ := load(fs.Config, configFile)
	cred, _ := load(fs.Credentials, credentialsFile)
	seen := map[string]bool{}
	for n := profile; n != "" && !seen[n]; {
		seen[n] = true
		next := ""
		for _, f := range []*iniFile{conf, cred} {
			if s := f.profileForOrNil(n); s != nil {
				if k, ok := s.get("source_profile"); ok {
					next = k.value
				}
			}
		}
		if next == target {
			return true
		}
		n = next
	}
	return false
}

// profileNames are the profiles parseINI finds in either file.
func profileNames(t *testing.T, fs Files) []string {
	t.Helper()
	var names []string
	for _, x := range fs.both() {
		f, err := load(x.path, x.kind)
		if err != nil {
			t.Fatal(err)
		}
		if f == nil {
			continue
		}
		for _, s := range f.sections {
			if s.profile != "" && !slices.Contains(names, s.profile) {
				names = append(names, s.profile)
			}
		}
	}
	slices.Sort(names)
	return names
}

func (c readerCase) written() Profile {
	p := Profile{Name: c.profile, Region: "us-gov-west-1"}
	if c.keys {
		p.Credentials = &Credentials{AccessKeyID: "ASIASTEP", SecretAccessKey: "step/secret+=", SessionToken: "step-token"}
	} else {
		p.CredentialProcess = `sh -c 'exec "$0" "$@"' /x/oidc-aws credential-process --role-arn arn:aws:iam::123456789012:role/r`
	}
	return p
}

func (c readerCase) files(t *testing.T) Files {
	t.Helper()
	fs := files(t)
	for path, text := range map[string]string{fs.Config: c.config, fs.Credentials: c.credentials} {
		if text != "" {
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return fs
}

// checkStep writes c's profile and checks that botocore and aws-sdk-go-v2
// read every other profile as before, and ours as written.
func checkStep(t *testing.T, b *awsreaders.Botocore, c readerCase, fs Files) {
	t.Helper()
	names := profileNames(t, fs)
	before := views(t, b, fs, names, c.profile)
	p := c.written()
	if _, err := fs.Write(p, true); err != nil {
		t.Fatalf("Write: %v", err)
	}
	after := views(t, b, fs, names, c.profile)
	for _, x := range []struct {
		what          string
		before, after any
	}{
		{"botocore's raw config sections", before.botocoreConfig, after.botocoreConfig},
		{"botocore's raw credentials sections", before.botocoreCredentials, after.botocoreCredentials},
		{"botocore's config profiles", before.botocoreProfiles, after.botocoreProfiles},
	} {
		if !sameJSON(x.before, x.after) {
			j, _ := json.Marshal(x.before)
			k, _ := json.Marshal(x.after)
			t.Errorf("%s changed:\nbefore %s\nafter  %s", x.what, j, k)
		}
	}
	for n, v := range before.goSDK {
		if sourcedFrom(t, fs, n, c.profile) {
			// aws-sdk-go-v2 resolves source_profile: a profile whose
			// chain reaches ours changes with it, as it should.
			continue
		}
		if !reflect.DeepEqual(v, after.goSDK[n]) {
			t.Errorf("aws-sdk-go-v2 reads profile %q otherwise after the write:\nbefore %+v\nafter  %+v", n, v, after.goSDK[n])
		}
	}
	want := map[string]any{"region": p.Region}
	if p.CredentialProcess != "" {
		want["credential_process"] = p.CredentialProcess
	}
	if got := after.all.Profiles.Sections[p.Name]; !sameJSON(got, want) {
		t.Errorf("botocore reads our profile as %v, want %v", got, want)
	}
	sc := awsreaders.ReadGoSDK(fs.Config, fs.Credentials, p.Name)
	switch {
	case sc.Err != "":
		t.Errorf("aws-sdk-go-v2 cannot read our profile: %s", sc.Err)
	case sc.Config.Region != p.Region || sc.Config.CredentialProcess != p.CredentialProcess:
		t.Errorf("aws-sdk-go-v2 reads our profile as region %q, credential_process %q", sc.Config.Region, sc.Config.CredentialProcess)
	case p.Credentials != nil && (sc.Config.Credentials.AccessKeyID != p.Credentials.AccessKeyID || sc.Config.Credentials.SecretAccessKey != p.Credentials.SecretAccessKey || sc.Config.Credentials.SessionToken != p.Credentials.SessionToken):
		t.Error("aws-sdk-go-v2 reads other keys for our profile")
	}
}

func TestBotocoreAndTheGoSDKReadOtherProfilesAsBeforeTheStep(t *testing.T) {
	b := awsreaders.StartBotocore(t)
	for _, c := range acceptedCorpus {
		t.Run(c.name, func(t *testing.T) {
			checkStep(t, b, c, c.files(t))
		})
	}
}

// The AWS CLI v2 costs most of a second a call, so it reads only the
// cases marked cli, once before and once after, a few calls at a time.
func TestTheAWSCLIReadsOtherProfilesAsBeforeTheStep(t *testing.T) {
	type get struct{ profile, key string }
	type reading struct {
		profiles []string
		values   map[get]string
	}
	read := func(t *testing.T, cli awsreaders.CLI, gets []get) reading {
		r := reading{values: map[get]string{}}
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
			sem  = make(chan struct{}, 4)
		)
		run := func(f func() error) {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				if err := f(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
		run(func() (err error) {
			r.profiles, err = cli.ListProfiles()
			slices.Sort(r.profiles)
			return err
		})
		for _, g := range gets {
			run(func() error {
				v, err := cli.Get(g.profile, g.key)
				if errors.Is(err, awsreaders.ErrNotSet) {
					v, err = "(not set)", nil
				}
				mu.Lock()
				r.values[g] = v
				mu.Unlock()
				return err
			})
		}
		wg.Wait()
		if len(errs) > 0 {
			t.Fatal(errors.Join(errs...))
		}
		return r
	}
	for _, c := range acceptedCorpus {
		if !c.cli {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			fs := c.files(t)
			cli := awsreaders.NewCLI(t, fs.Config, fs.Credentials)
			// A key the profile sets, from each file that has the profile.
			var gets []get
			conf, _ := load(fs.Config, configFile)
			cred, _ := load(fs.Credentials, credentialsFile)
			for _, n := range profileNames(t, fs) {
				if n == c.profile {
					continue
				}
				if s := conf.profileForOrNil(n); s != nil {
					k := s.keys[len(s.keys)-1]
					name := k.name
					if k.nested != nil {
						name += "." + k.nested[0][0]
					}
					gets = append(gets, get{n, name})
				}
				if cred.profileForOrNil(n) != nil {
					gets = append(gets, get{n, "aws_access_key_id"})
				}
			}
			for _, g := range c.cliGets {
				gets = append(gets, get{g[0], g[1]})
			}
			before := read(t, cli, gets)
			p := c.written()
			if _, err := fs.Write(p, true); err != nil {
				t.Fatal(err)
			}
			after := read(t, cli, append(gets, get{p.Name, "region"}))
			t.Logf("the AWS CLI lists %q before and %q after; reads %v", before.profiles, after.profiles, after.values)
			if want := slices.Sorted(slices.Values(append(slices.Clone(before.profiles), p.Name))); !slices.Equal(slices.Compact(want), after.profiles) {
				t.Errorf("list-profiles: %q before, %q after", before.profiles, after.profiles)
			}
			for _, g := range gets {
				if before.values[g] != after.values[g] {
					t.Errorf("configure get %s --profile %s: %q before, %q after", g.key, g.profile, before.values[g], after.values[g])
				}
			}
			if got := after.values[get{p.Name, "region"}]; got != p.Region {
				t.Errorf("our profile's region reads %q", got)
			}
		})
	}
}

// refusedCase is a pair of files the readers read differently, and the
// line of the one refused.
type refusedCase struct {
	name, config, credentials string
	line                      int
}

// refusedCorpus: each would make botocore fail or read otherwise than
// aws-sdk-go-v2 (TestWhatTheReadersReadDifferentlyIsRefused logs what each
// says).
var refusedCorpus = []refusedCase{
	{name: "key outside any section", config: "region = eu-west-1\n[default]\noutput = json\n", line: 1},
	{name: "[DEFAULT] section", config: "[DEFAULT]\nregion = eu-west-1\n[profile a]\noutput = json\n", line: 1},
	{name: "[DEFAULT] in credentials", credentials: "[DEFAULT]\naws_access_key_id = AKIADEF\naws_secret_access_key = s\n", line: 1},
	{name: "';' in a profile name", config: "[profile a]\nregion = eu-west-1\n[profile dev;x]\nregion = us-east-1\n", line: 3},
	{name: "'#' in a profile name", credentials: "[a]\naws_access_key_id = AKIAA\naws_secret_access_key = s\n[dev#x]\naws_access_key_id = AKIADEV\naws_secret_access_key = d\n", line: 4},
	{name: "three words in a profile header", config: "[profile a b]\nregion = eu-west-1\n", line: 1},
	{name: "quoted profile name", config: "[profile \"q\"]\nregion = eu-west-1\n", line: 1},
	{name: "profile glued to its name", config: "[profilex y]\nregion = eu-west-1\n", line: 1},
	{name: "Default in other case in config", config: "[Default]\nregion = eu-west-1\n", line: 1},
	{name: "profile prefix in credentials", credentials: "[profile a]\naws_access_key_id = AKIAA\naws_secret_access_key = s\n", line: 1},
	{name: "two blanks in a credentials section", credentials: "[a  b]\naws_access_key_id = AKIAA\naws_secret_access_key = s\n", line: 1},
	{name: "text after a header", config: "[profile a]x\nregion = eu-west-1\n", line: 1},
	{name: "blank before a comment sign in a value", config: "[profile a]\nregion = eu-west-1 # Ireland\n", line: 2},
	{name: "quoted value", credentials: "[a]\naws_access_key_id = \"AKIAA\"\naws_secret_access_key = s\n", line: 2},
	{name: "one profile spelled twice", config: "[profile prod]\nregion = eu-west-1\n[profile  prod]\nregion = us-east-1\n", line: 3},
	{name: "[default] and [profile default]", config: "[profile default]\nregion = eu-west-1\n[default]\nregion = us-east-1\n", line: 3},
	{name: "section twice", config: "[profile a]\nregion = eu-west-1\n[profile b]\n[profile a]\noutput = json\n", line: 4},
	{name: "key twice", config: "[profile a]\nregion = eu-west-1\nRegion = us-east-1\n", line: 3},
	{name: "indented section header", config: "[profile a]\nregion = eu-west-1\n  [profile b]\n", line: 3},
	{name: "indented line as deep as the empty key above", config: "[profile a]\n  s3 =\n    max_concurrent_requests = 20\n  region = eu-west-1\n", line: 4},
	{name: "indented line without separator as deep as the key above", config: "[profile a]\n  region = eu-west-1\n  eu\n", line: 3},
	{name: "continuation holding '='", config: "[profile a]\nregion = eu-west-1\n  output = json\n", line: 3},
	{name: "blank line inside a continued value", config: "[profile a]\ndescription = one\n\n  two\n", line: 4},
	{name: "continuation ending in blanks", config: "[profile a]\ndescription = one\n  two  \n", line: 3},
	{name: "nested line without '='", config: "[profile a]\ns3 =\n  max_concurrent_requests\n", line: 3},
	{name: "nested key in capitals", config: "[profile a]\ns3 =\n  Max_Concurrent_Requests = 20\n", line: 3},
	{name: "line without separator", credentials: "[a]\naws_access_key_id = AKIAA\nwJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY\n", line: 3},
	{name: "CRLF line ends", config: "[profile a]\r\nregion = eu-west-1\r\n", line: 1},
	{name: "byte order mark", config: "\ufeff[profile a]\nregion = eu-west-1\n", line: 1},
	{name: "not UTF-8", config: "[profile a]\nregion = eu-west-1\ndescription = caf\xe9\n", line: 3},
	{name: "non-breaking space", config: "[profile a]\nregion =\u00a0eu-west-1\n", line: 2},
	{name: "non-ASCII key", config: "[profile a]\nrégion = eu-west-1\n", line: 2},
}

func TestWhatTheReadersReadDifferentlyIsRefused(t *testing.T) {
	b := awsreaders.StartBotocore(t)
	for _, c := range refusedCorpus {
		t.Run(c.name, func(t *testing.T) {
			fs := readerCase{config: c.config, credentials: c.credentials}.files(t)
			bv, err := b.Read(fs.Config, fs.Credentials)
			if err != nil {
				t.Fatal(err)
			}
			said := map[string]any{"botocore config": bv.Config, "botocore credentials": bv.Credentials, "botocore profiles": bv.Profiles}
			for _, n := range []string{"default", "a", "b", "prod", "dev", "q", "y", "Default"} {
				g := awsreaders.ReadGoSDK(fs.Config, fs.Credentials, n)
				if g.Err == "" {
					said["aws-sdk-go-v2 "+n] = map[string]string{"region": g.Config.Region, "aws_access_key_id": g.Config.Credentials.AccessKeyID}
				}
			}
			j, _ := json.Marshal(said)
			t.Logf("the readers say: %s", j)

			_, err = fs.Write(Profile{Name: "step", Region: "us-east-1", Credentials: static}, true)
			var pe *ParseError
			path := fs.Config
			if c.config == "" {
				path = fs.Credentials
			}
			if !errors.As(err, &pe) || pe.Path != path || pe.Line != c.line {
				t.Fatalf("err = %v, want a ParseError for %s line %d", err, filepath.Base(path), c.line)
			}
			for p, text := range map[string]string{fs.Config: c.config, fs.Credentials: c.credentials} {
				if got, err := os.ReadFile(p); (err == nil) != (text != "") || string(got) != text {
					t.Errorf("%s changed", filepath.Base(p))
				}
			}
		})
	}
}
