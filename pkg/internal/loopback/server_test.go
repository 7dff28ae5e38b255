package loopback

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func serve(t *testing.T, useTLS bool, h http.Handler) *Server {
	t.Helper()
	s, err := Listen("test", useTLS)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	s.Serve(h)
	t.Cleanup(s.Close)
	return s
}

var hello = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	io.WriteString(w, "hello") //nolint:errcheck
})

// get returns the body or the transport error.
func get(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestClientTrustsExactlyItsOwnServer(t *testing.T) {
	s := serve(t, true, hello)
	other := serve(t, true, hello)
	systemRoots := &http.Client{Transport: &http.Transport{}}

	tests := []struct {
		name     string
		client   *http.Client
		wantBody string // empty means the TLS handshake must be refused
	}{
		{"own client is trusted", s.Client(), "hello"},
		{"another loopback server's client is refused", other.Client(), ""},
		{"client with system roots is refused", systemRoots, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, err := get(tc.client, s.URL())
			if tc.wantBody != "" {
				if err != nil || body != tc.wantBody {
					t.Fatalf("GET %s = %q, %v; want %q, nil", s.URL(), body, err, tc.wantBody)
				}
				return
			}
			var unknown x509.UnknownAuthorityError
			if !errors.As(err, &unknown) {
				t.Fatalf("GET %s error = %v; want x509.UnknownAuthorityError", s.URL(), err)
			}
			if cn := unknown.Cert.Subject.CommonName; cn != "test loopback" {
				t.Errorf("refused certificate is named %q; want %q", cn, "test loopback")
			}
		})
	}
}

func TestPlainServer(t *testing.T) {
	s := serve(t, false, hello)
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Errorf("URL() = %q; want prefix %q", s.URL(), "http://127.0.0.1:")
	}
	if p := s.CertPool(); p != nil {
		t.Errorf("CertPool() without TLS = %v; want nil", p)
	}
	if body, err := get(s.Client(), s.URL()); err != nil || body != "hello" {
		t.Fatalf("GET %s = %q, %v; want %q, nil", s.URL(), body, err, "hello")
	}
}

func TestTLSServerURLIsHTTPSOnLoopback(t *testing.T) {
	s := serve(t, true, hello)
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") {
		t.Errorf("URL() = %q; want prefix %q", s.URL(), "https://127.0.0.1:")
	}
}

func TestClientNeverUsesAProxy(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		s := serve(t, useTLS, hello)
		tr, ok := s.Client().Transport.(*http.Transport)
		if !ok {
			t.Fatalf("Client().Transport is %T; want *http.Transport", s.Client().Transport)
		}
		if tr.Proxy != nil {
			t.Errorf("TLS=%v: Client() transport has a Proxy func; want none", useTLS)
		}
	}
}

// hangUntilClosed is what the stand-ins do for a deliberate hang: wait for
// Close, then drop the connection rather than send an empty 200.
func hangUntilClosed(s *Server, entered, returned chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		defer s.Track()()
		defer close(returned) // runs before the untrack above
		close(entered)
		<-s.Done()
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	}
}

func TestCloseReleasesHandlerBlockedOnDone(t *testing.T) {
	s, err := Listen("test", false)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	entered, returned := make(chan struct{}), make(chan struct{})
	s.Serve(hangUntilClosed(s, entered, returned))

	clientErr := make(chan error, 1)
	go func() {
		_, err := get(s.Client(), s.URL())
		clientErr <- err
	}()
	<-entered
	s.Close()

	select {
	case <-returned:
	default:
		t.Fatal("Close returned while the hung handler was still running")
	}
	if n := s.InFlight(); n != 0 {
		t.Errorf("InFlight() after Close = %d; want 0", n)
	}
	if err := <-clientErr; err == nil {
		t.Error("client of a released hang got a response; want the connection dropped")
	}
}

func TestCloseWaitsForTrackedHandlerAfterHijack(t *testing.T) {
	s, err := Listen("test", false)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	entered, hijacked, proceed := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var finished atomic.Bool
	s.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer s.Track()()
		close(entered)
		<-s.Done()
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		// Shutdown has forgotten this connection now; only Track keeps
		// Close waiting for the rest of the handler.
		close(hijacked)
		<-proceed
		finished.Store(true)
	}))
	go get(s.Client(), s.URL()) //nolint:errcheck // the connection is dropped on purpose
	<-entered
	closed := make(chan struct{})
	go func() {
		s.Close()
		close(closed)
	}()
	<-hijacked
	// A Close that ignored Track would return within a Shutdown poll tick
	// from here; give it the chance. Passing does not depend on this pause.
	time.Sleep(20 * time.Millisecond)
	close(proceed)
	<-closed
	if !finished.Load() {
		t.Fatal("Close returned before a tracked handler that hijacked its connection finished")
	}
}

func TestCloseGivesUpOnHandlerThatIgnoresDone(t *testing.T) {
	s, err := Listen("test", false)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	s.grace = 0 // the bound itself is what is tested, not its length
	entered, release := make(chan struct{}), make(chan struct{})
	s.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer s.Track()()
		close(entered)
		<-release
	}))
	clientDone := make(chan struct{})
	go func() {
		get(s.Client(), s.URL()) //nolint:errcheck // the server gives up on this request
		close(clientDone)
	}()
	<-entered

	s.Close() // must return although the handler never will by itself

	if n := s.InFlight(); n != 1 {
		t.Errorf("InFlight() after Close = %d; want 1 (the stuck handler)", n)
	}
	close(release)
	<-clientDone
}

func TestCloseWithoutServeReleasesThePort(t *testing.T) {
	s, err := Listen("test", false)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	addr := strings.TrimPrefix(s.URL(), "http://")
	s.Close()
	s.Close() // a second Close is a no-op, as deferred cleanups rely on
	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Fatalf("dial %s after Close succeeded; want the listener closed", addr)
	}
}

func TestSelfSignedCertCoversLoopback(t *testing.T) {
	_, leaf, err := selfSignedCert("x loopback")
	if err != nil {
		t.Fatalf("selfSignedCert: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	for _, host := range []string{"127.0.0.1", "::1", "localhost"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: pool}); err != nil {
			t.Errorf("certificate does not verify for %q: %v", host, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: pool}); err == nil {
		t.Error("certificate verifies for example.com; want it limited to loopback")
	}
}

func TestSleep(t *testing.T) {
	// forever stands for a delay no test run reaches, so only an early
	// release can end the wait.
	const forever = time.Hour
	tests := []struct {
		name  string
		d     time.Duration
		leave func(s *Server, cancel func())
		want  bool
	}{
		{"no delay completes at once", 0, func(*Server, func()) {}, true},
		{"negative delay completes at once", -time.Second, func(*Server, func()) {}, true},
		{"client leaving ends the wait early", forever, func(_ *Server, cancel func()) { cancel() }, false},
		{"Close ends the wait early", forever, func(s *Server, _ func()) { s.Close() }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Listen("test", false)
			if err != nil {
				t.Fatalf("Listen: %v", err)
			}
			t.Cleanup(s.Close)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			tc.leave(s, cancel)
			if got := s.Sleep(ctx, tc.d); got != tc.want {
				t.Errorf("Sleep(%v) = %v; want %v", tc.d, got, tc.want)
			}
		})
	}
}
