// Package loopback serves an HTTP handler on 127.0.0.1 for the local
// stand-ins: optional self-signed TLS, a client that trusts exactly that
// server, and a Close that releases handlers stuck in a deliberate hang.
package loopback

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// closeGrace bounds how long Close waits for handlers, so a handler that
// ignores Done cannot hang a test's cleanup forever.
const closeGrace = 2 * time.Second

// Server is a listener on 127.0.0.1 and the http.Server behind it. All
// methods are safe for concurrent use, except that Serve must be called once
// before the server is shared.
type Server struct {
	ln        net.Listener
	url       string
	srv       *http.Server
	cert      *x509.Certificate // nil without TLS
	done      chan struct{}
	grace     time.Duration // closeGrace; a field so tests need not wait it out
	closeOnce sync.Once
	inflight  atomic.Int64
}

// Listen binds a free port on 127.0.0.1, with a fresh self-signed
// certificate when useTLS is set. Nothing is answered until Serve, so the
// caller can use URL to finish building its handler first. name labels the
// certificate, which TLS errors quote, so a failure says which stand-in it
// came from.
func Listen(name string, useTLS bool) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("failed to listen on loopback: %w", err)
	}
	s := &Server{done: make(chan struct{}), grace: closeGrace}
	scheme := "http"
	if useTLS {
		tc, leaf, err := selfSignedCert(name + " loopback")
		if err != nil {
			ln.Close()
			return nil, err
		}
		s.cert = leaf
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{tc}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	s.ln = ln
	s.url = scheme + "://" + ln.Addr().String()
	s.srv = &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		// Fault drills hang up on clients and clients hang up on hangs;
		// net/http would log every one of those as an error.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	return s, nil
}

// Serve answers requests with h in the background until Close.
func (s *Server) Serve(h http.Handler) {
	s.srv.Handler = h
	go s.srv.Serve(s.ln) //nolint:errcheck // returns ErrServerClosed on Close
}

// URL is the base URL, e.g. https://127.0.0.1:41234.
func (s *Server) URL() string { return s.url }

// Done is closed when Close starts. Handlers that wait on purpose (hangs,
// slow answers, long streams) select on it so Close can end them.
func (s *Server) Done() <-chan struct{} { return s.done }

// Sleep waits d for a deliberately slow handler. It reports false, early,
// if the client gives up (ctx) or Close starts, so the handler can stop
// instead of answering nobody.
func (s *Server) Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	return false
}

// Track counts a handler as in flight until the returned func is called.
// Handlers that may hijack their connection must use it: Shutdown forgets
// hijacked connections, so Close waits on this count instead.
func (s *Server) Track() (untrack func()) {
	s.inflight.Add(1)
	return func() { s.inflight.Add(-1) }
}

// InFlight is how many tracked handlers are running now.
func (s *Server) InFlight() int64 { return s.inflight.Load() }

// Close releases handlers waiting on Done, stops the server, and waits
// briefly for tracked handlers to return so tests do not leak goroutines.
// Later calls do nothing.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		ctx, cancel := context.WithTimeout(context.Background(), s.grace)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			s.srv.Close()
		}
		// Shutdown only closes listeners that Serve registered; this one
		// may never have been served.
		s.ln.Close()
		for s.inflight.Load() > 0 && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
	})
}

// CertPool trusts this server's TLS certificate and nothing else; nil when
// TLS is off.
func (s *Server) CertPool() *x509.CertPool {
	if s.cert == nil {
		return nil
	}
	p := x509.NewCertPool()
	p.AddCert(s.cert)
	return p
}

// CertPEM is this server's TLS certificate in PEM, for a CA file (such as
// SSL_CERT_FILE) that trusts it; nil when TLS is off.
func (s *Server) CertPEM() []byte {
	if s.cert == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.cert.Raw})
}

// Client returns an HTTP client for this server (with or without TLS). It
// never uses a proxy: a stand-in is always reached directly, whatever the
// environment says.
func (s *Server) Client() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	if s.cert != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: s.CertPool(), MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr}
}
