// Package awsreaders reads AWS shared config and credentials files with the
// readers users run, for differential tests: botocore through one
// long-lived Python worker, aws-sdk-go-v2's shared-config loader in
// process, and the AWS CLI v2 through its own commands. Test-only.
package awsreaders

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/org/oidc-aws-action/pkg/internal/prereq"
)

//go:embed botocore_worker.py
var workerSource string

// FileView is one file as botocore's raw_config_parse reads it: section
// name to key to value, a value being a string or, for a nested block, a
// map of strings; or the class of the exception botocore raised.
type FileView struct {
	Sections map[string]map[string]any `json:"sections,omitempty"`
	Error    string                    `json:"error,omitempty"`
	Missing  bool                      `json:"missing,omitempty"`
}

// BotocoreView is what botocore reads of the two files; Profiles is the
// config file's profile map (load_config), keyed by profile name.
type BotocoreView struct {
	Config      FileView `json:"config"`
	Credentials FileView `json:"credentials"`
	Profiles    FileView `json:"profiles"`
}

// Botocore is the Python worker. Its methods may be called from several
// goroutines; requests are served one at a time.
type Botocore struct {
	mu  sync.Mutex
	in  io.Writer
	out *bufio.Reader
}

// startBotocore starts the one worker of this process: a Python start
// costs far more than a request.
var startBotocore = sync.OnceValues(func() (*Botocore, error) {
	var errs []error
	for _, name := range []string{"python3", "/usr/bin/python3"} {
		python, err := exec.LookPath(name)
		if err == nil {
			var b *Botocore
			if b, err = startWorker(python); err == nil {
				return b, nil
			}
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
})

// startWorker starts the worker with one Python, and checks that it
// answers (that Python has botocore).
func startWorker(python string) (*Botocore, error) {
	cmd := exec.Command(python, "-c", workerSource)
	// botocore reads the files in the locale's encoding; the runners' is
	// UTF-8.
	cmd.Env = append(os.Environ(), "PYTHONUTF8=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	// The worker ends when this process does and its stdin closes.
	b := &Botocore{in: in, out: bufio.NewReaderSize(out, 1<<16)}
	if _, err := b.Read(os.DevNull+"-none", os.DevNull+"-none"); err != nil {
		in.Close()
		cmd.Wait()
		return nil, fmt.Errorf("%s: the botocore worker does not answer (has it botocore?): %w", python, err)
	}
	return b, nil
}

// StartBotocore returns the worker, or ends t by prereq.Missing when
// python3 with botocore is not there.
func StartBotocore(t testing.TB) *Botocore {
	t.Helper()
	b, err := startBotocore()
	if err != nil {
		prereq.Missing(t, "botocore (python3 with boto3 or python3-botocore):", err)
	}
	return b
}

// Read asks botocore for its reading of the two files.
func (b *Botocore) Read(configPath, credentialsPath string) (BotocoreView, error) {
	req, _ := json.Marshal(map[string]string{"config": configPath, "credentials": credentialsPath})
	b.mu.Lock()
	defer b.mu.Unlock()
	var v BotocoreView
	if _, err := b.in.Write(append(req, '\n')); err != nil {
		return v, err
	}
	line, err := b.out.ReadBytes('\n')
	if err != nil {
		return v, err
	}
	return v, json.Unmarshal(line, &v)
}

// GoSDK is aws-sdk-go-v2's reading of one profile from the two files: the
// SharedConfig, or the error's text.
type GoSDK struct {
	Config config.SharedConfig
	Err    string
	// NotThere: the SDK finds no such profile in either file (not a
	// missing source_profile of it).
	NotThere bool
}

// ReadGoSDK loads the profile as aws-sdk-go-v2's config package does for
// a client that names it.
func ReadGoSDK(configPath, credentialsPath, profile string) GoSDK {
	sc, err := config.LoadSharedConfigProfile(context.Background(), profile, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles = []string{configPath}
		o.CredentialsFiles = []string{credentialsPath}
	})
	if err != nil {
		var nx config.SharedConfigProfileNotExistError
		return GoSDK{Err: err.Error(), NotThere: errors.As(err, &nx) && nx.Profile == profile}
	}
	return GoSDK{Config: sc}
}

// CLI runs the AWS CLI v2 against two files.
type CLI struct {
	Path                string
	Config, Credentials string
	Home                string
}

// NewCLI finds the AWS CLI v2, or ends t by prereq.Missing.
func NewCLI(t testing.TB, configPath, credentialsPath string) CLI {
	t.Helper()
	return CLI{Path: prereq.AWSCLIv2(t), Config: configPath, Credentials: credentialsPath, Home: t.TempDir()}
}

func (c CLI) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Path, args...)
	cmd.Env = []string{
		"PATH=/usr/bin:/bin", "HOME=" + c.Home, "AWS_PAGER=",
		"AWS_CONFIG_FILE=" + c.Config, "AWS_SHARED_CREDENTIALS_FILE=" + c.Credentials,
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("aws %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// ListProfiles is `aws configure list-profiles`.
func (c CLI) ListProfiles() ([]string, error) {
	out, err := c.run("configure", "list-profiles")
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

// ErrNotSet is Get's error for a key the profile does not set (the CLI
// exits 1 and prints nothing).
var ErrNotSet = errors.New("not set")

// Get is `aws configure get KEY --profile PROFILE`.
func (c CLI) Get(profile, key string) (string, error) {
	out, err := c.run("configure", "get", key, "--profile", profile)
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 && out == "" {
		return "", ErrNotSet
	}
	return strings.TrimSuffix(out, "\n"), err
}
