package metadata

import (
	"bytes"
	"context"
	"crypto/x509"
	"debug/buildinfo"
	"debug/elf"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
)

// The image is FROM scratch: the binary is the whole image. These tests
// build it as the Dockerfile does (sandbox.Build; TestDockerfileBuildsWhat
// TheTestsTest keeps the two in step) and check what scratch demands of it:
// no dynamic loader, no shared libraries, no CA files.

const (
	fallbackModule   = "golang.org/x/crypto/x509roots/fallback"
	unknownAuthority = "x509: certificate signed by unknown authority"
	// maxBinaryBytes is the image budget (10 MB as docker image inspect
	// reports it, checked on the real image in CI): the image holds the
	// binary alone, so a binary above it loses the budget for sure, and this
	// says so without docker.
	maxBinaryBytes = 10_000_000
)

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// shippedBinary builds cmd/oidc-aws once per test run.
func shippedBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "oidc-aws-metadata-")
		if binErr == nil {
			binPath, binErr = sandbox.Build(binDir)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// buildProbe builds testdata/rootsprobe with the shipped binary's flags,
// plus the given build tags.
func buildProbe(t *testing.T, tags string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "rootsprobe")
	args := []string{sandbox.BuildFlags[0]}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	args = append(args, sandbox.BuildFlags[1:]...)
	args = append(args, out, "./testdata/rootsprobe")
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("failed to build the roots probe: %v\n%s", err, b)
	}
	return out
}

// elfProblems lists what would stop a binary from running on scratch, or
// make it bigger than it needs to be.
func elfProblems(path string) ([]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read %s as ELF: %w", path, err)
	}
	defer f.Close()
	var problems []string
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			problems = append(problems, "it asks for a dynamic loader (PT_INTERP), which scratch does not have: build with CGO_ENABLED=0")
		case elf.PT_DYNAMIC:
			problems = append(problems, "it has a dynamic section (PT_DYNAMIC): it is not statically linked")
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return nil, fmt.Errorf("failed to read DT_NEEDED of %s: %w", path, err)
	}
	if len(libs) > 0 {
		problems = append(problems, fmt.Sprintf("it needs shared libraries %v (DT_NEEDED), which scratch does not have", libs))
	}
	if f.Section(".symtab") != nil {
		problems = append(problems, "it has a symbol table (.symtab): it is not stripped; build with -ldflags \"-s -w\"")
	}
	return problems, nil
}

func TestShippedBinaryIsStaticAndStripped(t *testing.T) {
	bin := shippedBinary(t)
	problems, err := elfProblems(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("the binary cannot ship on scratch as built: %s", p)
	}
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("binary size: %d bytes (%.2f MB); the image budget is 10 MB", st.Size(), float64(st.Size())/1e6)
	if st.Size() > maxBinaryBytes {
		t.Errorf("the binary is %d bytes, over the %d-byte image budget; see what it links with go tool nm -size -sort size on a build without -s -w", st.Size(), maxBinaryBytes)
	}
}

func TestELFProblemsAreFound(t *testing.T) {
	t.Run("an unstripped binary is reported", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "unstripped")
		cmd := exec.Command("go", "build", "-o", out, "./testdata/rootsprobe")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		problems, err := elfProblems(out)
		if err != nil {
			t.Fatal(err)
		}
		if len(problems) != 1 || !strings.Contains(problems[0], ".symtab") {
			t.Fatalf("want only the symbol table reported, got %q", problems)
		}
	})
	t.Run("a dynamically linked binary is reported", func(t *testing.T) {
		// Any distribution's own tools are dynamically linked; this one is
		// on every Linux machine that can run these tests.
		const dynamic = "/bin/sh"
		problems, err := elfProblems(dynamic)
		if err != nil {
			t.Fatal(err)
		}
		all := strings.Join(problems, "\n")
		for _, want := range []string{"PT_INTERP", "DT_NEEDED"} {
			if !strings.Contains(all, want) {
				t.Errorf("%s: want %s reported, got %q", dynamic, want, problems)
			}
		}
	})
}

// linksFallback reports whether the binary's build information lists the
// fallback roots module: Go records only modules whose packages were
// linked in, so this is true only if something imports it.
func linksFallback(path string) (bool, map[string]string, error) {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return false, nil, fmt.Errorf("failed to read build info of %s: %w", path, err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	for _, d := range info.Deps {
		if d.Path == fallbackModule {
			return true, settings, nil
		}
	}
	return false, settings, nil
}

func TestShippedBinaryCarriesCARoots(t *testing.T) {
	linked, settings, err := linksFallback(shippedBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if !linked {
		t.Errorf("the binary does not link %s, so on scratch (no CA files) every HTTPS call would fail; keep pkg/caroots in cmd/oidc-aws/roots.go", fallbackModule)
	}
	for k, want := range map[string]string{"CGO_ENABLED": "0", "-trimpath": "true"} {
		if settings[k] != want {
			t.Errorf("the binary was built with %s=%q, want %q as in the Dockerfile", k, settings[k], want)
		}
	}
	// The check itself must be able to fail: the probe built without the
	// import does not list the module.
	linked, _, err = linksFallback(buildProbe(t, "nofallback"))
	if err != nil {
		t.Fatal(err)
	}
	if linked {
		t.Errorf("a probe built without the fallback import still lists %s; the check above proves nothing", fallbackModule)
	}
}

// noCAFiles is an environment in which Go finds no system roots on Linux:
// SSL_CERT_FILE replaces the list of bundle files and SSL_CERT_DIR the list
// of directories, so neither /etc/ssl nor anything else is read.
func noCAFiles(t *testing.T) []string {
	empty := t.TempDir()
	return []string{"SSL_CERT_FILE=" + filepath.Join(empty, "no-such-bundle.pem"), "SSL_CERT_DIR=" + empty}
}

func TestCompiledInRootsVerifyAPublicChainWithNoCAFiles(t *testing.T) {
	// www.google.com's leaf and intermediate from 2023; the root, GTS Root
	// R1, is in neither the file nor the environment. See
	// testdata/publicchain/README.md.
	chain, err := filepath.Abs("testdata/publicchain/www.google.com.pem")
	if err != nil {
		t.Fatal(err)
	}
	// The proof rests on the root being absent from the file.
	pemBytes, err := os.ReadFile(chain)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for block, rest := pem.Decode(pemBytes); block != nil; block, rest = pem.Decode(rest) {
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(c.RawSubject, c.RawIssuer) {
			t.Fatalf("%s contains a self-signed certificate (%s); the root must come from the binary", chain, c.Subject)
		}
		n++
	}
	if n != 2 {
		t.Fatalf("%s has %d certificates, want the leaf and its intermediate", chain, n)
	}
	cases := []struct {
		name, tags string
		wantExit   int
		wantOut    string
	}{
		{"with the fallback import the chain verifies to a compiled-in root", "", 0, "verified; root: CN=GTS Root R1,O=Google Trust Services LLC,C=US"},
		{"without it the same environment has no roots at all", "nofallback", 1, unknownAuthority},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			probe := buildProbe(t, tc.tags)
			cmd := exec.Command(probe, chain, "www.google.com", "2023-02-28T20:24:52Z")
			cmd.Env = noCAFiles(t)
			cmd.Dir = t.TempDir()
			out, err := cmd.CombinedOutput()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.wantExit || !strings.Contains(string(out), tc.wantOut) {
				t.Fatalf("probe exited %d with %q; want exit %d and %q", code, out, tc.wantExit, tc.wantOut)
			}
		})
	}
}

// TestShippedBinaryTalksHTTPSWithOnlyTheCAFileItIsGiven runs the real
// binary against a local issuer and STS that both serve https with their
// own self-signed certificates. SSL_CERT_FILE holds the certificates we
// choose to trust and SSL_CERT_DIR is empty, so the binary reads no other CA
// file: the run succeeds only if both are trusted, and an untrusted one
// fails the step without exporting credentials.
func TestShippedBinaryTalksHTTPSWithOnlyTheCAFileItIsGiven(t *testing.T) {
	bin := shippedBinary(t)
	sb, err := sandbox.Start(sandbox.Options{IssuerTLS: true, STSTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	iss, sts := sb.Issuer, sb.STS

	issuerPEM := servedCertPEM(t, iss.Client(), iss.URL())
	stsPEM := servedCertPEM(t, sts.Client(), sts.URL())
	cases := []struct {
		name    string
		trusted []byte
		wantOK  bool
		wantLog []string
	}{
		{"both certificates trusted: credentials are exported", append(append([]byte(nil), issuerPEM...), stsPEM...), true, nil},
		{"the issuer's certificate untrusted: the token request fails", stsPEM, false, []string{"runner's token endpoint", unknownAuthority}},
		{"the STS certificate untrusted: the STS call fails", issuerPEM, false, []string{"STS call failed", unknownAuthority}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			st, err := sb.NewStep(dir, map[string]string{"disable-retry": "true"})
			if err != nil {
				t.Fatal(err)
			}
			caDir := t.TempDir()
			caFile := filepath.Join(t.TempDir(), "trusted.pem")
			if err := os.WriteFile(caFile, tc.trusted, 0o644); err != nil {
				t.Fatal(err)
			}
			st.Env["SSL_CERT_FILE"] = caFile
			st.Env["SSL_CERT_DIR"] = caDir
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			run, err := st.Run(ctx, bin)
			if err != nil {
				t.Fatal(err)
			}
			res, err := st.Read()
			if err != nil {
				t.Fatal(err)
			}
			log := string(run.Stdout) + string(run.Stderr)
			_, exported := res.Env["AWS_ACCESS_KEY_ID"]
			if tc.wantOK {
				if run.ExitCode != 0 || !exported || res.Outputs["aws-account-id"] != sandbox.Account {
					t.Fatalf("want success with credentials for account %s; exit %d, exported %v, outputs %v, log:\n%s", sandbox.Account, run.ExitCode, exported, res.Outputs, log)
				}
				return
			}
			if run.ExitCode == 0 || exported {
				t.Fatalf("want the step to fail without credentials; exit %d, exported %v, log:\n%s", run.ExitCode, exported, log)
			}
			for _, want := range tc.wantLog {
				if !strings.Contains(log, want) {
					t.Errorf("want the log to say %q, got:\n%s", want, log)
				}
			}
		})
	}
}

// servedCertPEM is the certificate a server presents, fetched with a client
// that already trusts it (so nothing here skips verification).
func servedCertPEM(t *testing.T, c interface {
	Get(string) (*http.Response, error)
}, url string) []byte {
	t.Helper()
	resp, err := c.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.TLS == nil || len(resp.TLS.PeerCertificates) == 0 {
		t.Fatalf("%s served no certificate", url)
	}
	var b bytes.Buffer
	if err := pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: resp.TLS.PeerCertificates[0].Raw}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
