package stsexchange

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTransportAndBodyFailuresAreClassified(t *testing.T) {
	big := webIdentityOK(credsXML{goodCreds.AccessKeyID, goodCreds.Secret, strings.Repeat("A", 2<<20), testExpiry}, "")
	good := webIdentityOK(goodCreds, assumedUserXML(testAssumed))
	cases := []struct {
		name      string
		handler   http.HandlerFunc
		mod       func(*Options)
		wantClass Class
		wantKind  string
	}{
		{
			name: "connection dropped before answering",
			handler: func(w http.ResponseWriter, r *http.Request) {
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					conn.Close()
				}
			},
			wantClass: Transient, wantKind: kindConnection,
		},
		{
			name: "connection reset mid-body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				conn, buf, err := http.NewResponseController(w).Hijack()
				if err != nil {
					return
				}
				fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n%s", len(good), good[:len(good)/2])
				buf.Flush()
				if tc, ok := conn.(*net.TCPConn); ok {
					tc.SetLinger(0) // RST instead of FIN
				}
				conn.Close()
			},
			wantClass: Transient, wantKind: kindUndecodable,
		},
		{
			name:      "truncated XML with matching length",
			handler:   xmlAnswer(200, good[:len(good)/2]),
			wantClass: Transient, wantKind: kindUndecodable,
		},
		{
			name: "truncated error XML",
			handler: func(w http.ResponseWriter, r *http.Request) {
				body := errorXML("Throttling", "Rate exceeded")
				conn, buf, err := http.NewResponseController(w).Hijack()
				if err != nil {
					return
				}
				fmt.Fprintf(buf, "HTTP/1.1 400 Bad Request\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:40])
				buf.Flush()
				conn.Close()
			},
			wantClass: Transient, wantKind: kindUndecodable,
		},
		{
			name:      "oversized body announced by Content-Length",
			handler:   xmlAnswer(200, big),
			wantClass: Fatal, wantKind: kindTooLarge,
		},
		{
			name: "oversized body without Content-Length",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/xml")
				w.WriteHeader(200)
				http.NewResponseController(w).Flush() // forces chunked encoding
				io.WriteString(w, big)
			},
			wantClass: Fatal, wantKind: kindTooLarge,
		},
		{
			name:      "oversized error body over a small limit",
			handler:   xmlAnswer(400, errorXML("AccessDenied", strings.Repeat("x", 5000))),
			mod:       func(o *Options) { o.MaxResponseBytes = 4096 },
			wantClass: Fatal, wantKind: kindTooLarge,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := startSTS(t, tc.handler)
			res, err := callWeb(t, newTestClient(t, f.URL, tc.mod))
			if res != nil {
				t.Fatalf("got result %+v", res)
			}
			e := asError(t, err)
			if e.Class != tc.wantClass || e.Hint != codeTable[tc.wantKind].Hint {
				t.Errorf("got class %v hint %q (%v); want %v and the %s hint", e.Class, e.Hint, e, tc.wantClass, tc.wantKind)
			}
			if e.Code != "" {
				t.Errorf("code %q, want none for a non-STS failure", e.Code)
			}
			assertNoSecrets(t, e, testToken, goodCreds.Secret)
		})
	}
}

func TestBodyExactlyAtLimitIsAccepted(t *testing.T) {
	body := webIdentityOK(goodCreds, "")
	f := startSTS(t, xmlAnswer(200, body))
	c := newTestClient(t, f.URL, func(o *Options) { o.MaxResponseBytes = int64(len(body)) })
	if _, err := callWeb(t, c); err != nil {
		t.Fatalf("a body of exactly MaxResponseBytes must pass: %v", err)
	}
	c = newTestClient(t, f.URL, func(o *Options) { o.MaxResponseBytes = int64(len(body)) - 1 })
	_, err := callWeb(t, c)
	if e := asError(t, err); e.Hint != codeTable[kindTooLarge].Hint {
		t.Errorf("one byte over the limit: %v", e)
	}
}

func TestConnectionRefusedIsTransient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = callWeb(t, newTestClient(t, "http://"+addr, nil))
	e := asError(t, err)
	if e.Class != Transient || e.Hint != codeTable[kindConnection].Hint || e.HTTPStatus != 0 {
		t.Errorf("got %v class %v", e, e.Class)
	}
	if !strings.Contains(e.Message, addr) {
		t.Errorf("message %q does not say where it tried to connect", e.Message)
	}
}

func TestSlowAnswerTimesOutAsTransientButCallerDeadlineIsFatal(t *testing.T) {
	release := make(chan struct{})
	f := startSTS(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the server closes

	t.Run("per-attempt timeout", func(t *testing.T) {
		c := newTestClient(t, f.URL, func(o *Options) { o.Timeout = 50 * time.Millisecond })
		_, err := callWeb(t, c)
		e := asError(t, err)
		if e.Class != Transient || e.Hint != codeTable[kindAttemptTimeout].Hint {
			t.Errorf("got %v class %v", e, e.Class)
		}
		if want := "no answer from " + f.URL + " within 50ms"; e.Message != want {
			t.Errorf("message %q, want %q", e.Message, want)
		}
	})
	t.Run("caller deadline", func(t *testing.T) {
		c := newTestClient(t, f.URL, func(o *Options) { o.Timeout = time.Hour })
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.AssumeRoleWithWebIdentity(ctx, webInput())
		e := asError(t, err)
		if e.Class != Fatal || e.Hint != codeTable[kindCallerDeadline].Hint || !strings.Contains(e.Message, "deadline exceeded") {
			t.Errorf("got %v class %v", e, e.Class)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("errors.Is(err, context.DeadlineExceeded) = false for %v", err)
		}
	})
	t.Run("caller canceled before the call", func(t *testing.T) {
		c := newTestClient(t, f.URL, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.AssumeRoleWithWebIdentity(ctx, webInput())
		if e := asError(t, err); e.Class != Fatal {
			t.Errorf("got %v class %v", e, e.Class)
		}
	})
}

func TestUnknownHostIsFatalWithEndpointHint(t *testing.T) {
	tr := newTransport(func(*url.URL) (*url.URL, error) { return nil, nil })
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	c := newTestClient(t, "", func(o *Options) { o.Region = "eu-nowhere-9"; o.Transport = tr })
	_, err := callWeb(t, c)
	e := asError(t, err)
	if e.Class != Fatal || e.Hint != codeTable[kindDNSNotFound].Hint || !strings.Contains(e.Message, "sts.eu-nowhere-9.amazonaws.com") {
		t.Errorf("got %v class %v hint %q", e, e.Class, e.Hint)
	}
}

func TestUntrustedCertificateIsFatal(t *testing.T) {
	srv := httptest.NewTLSServer(xmlAnswer(200, webIdentityOK(goodCreds, "")))
	t.Cleanup(srv.Close)
	_, err := callWeb(t, newTestClient(t, srv.URL, nil))
	e := asError(t, err)
	if e.Class != Fatal || e.Hint != codeTable[kindTLSCertificate].Hint {
		t.Errorf("got %v class %v", e, e.Class)
	}
}

func TestNoSDKRetriesOnTransientFailures(t *testing.T) {
	for _, status := range []int{500, 503} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			f := startSTS(t, xmlAnswer(status, errorXML("ServiceUnavailable", "try later")))
			_, err := callWeb(t, newTestClient(t, f.URL, nil))
			if e := asError(t, err); e.Class != Transient {
				t.Errorf("class %v", e.Class)
			}
			if n := len(f.requests()); n != 1 {
				t.Errorf("server saw %d requests, want exactly 1", n)
			}
		})
	}
}

// lateReadTransport plays net/http's part in a race: it answers first and
// only afterwards makes the final "is there more?" read of the request body
// that net/http's write loop makes, via WriterTo as io.Copy does. The SDK
// closes its request body as soon as the answer arrives; if that close
// reached the body the transport holds, the late read would fail and
// net/http would drop the connection while the answer is still being read.
type lateReadTransport struct {
	answer  []byte
	mu      sync.Mutex
	pending []io.Reader
}

func (l *lateReadTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	io.Copy(io.Discard, io.LimitReader(r.Body, r.ContentLength))
	l.mu.Lock()
	l.pending = append(l.pending, r.Body)
	l.mu.Unlock()
	return &http.Response{
		StatusCode: 200, ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"text/xml"}},
		Body:          io.NopCloser(strings.NewReader(string(l.answer))),
		ContentLength: int64(len(l.answer)),
		Request:       r,
	}, nil
}

func TestRequestBodyOutlivesTheSDKClosingIt(t *testing.T) {
	tr := &lateReadTransport{answer: []byte(webIdentityOK(goodCreds, ""))}
	c := newTestClient(t, "https://sts.example.com", func(o *Options) { o.Transport = tr })
	if _, err := callWeb(t, c); err != nil {
		t.Fatal(err)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.pending) != 1 {
		t.Fatalf("transport saw %d requests, want 1", len(tr.pending))
	}
	// io.Copy uses WriterTo when the body has it, exactly as net/http does.
	if n, err := io.Copy(io.Discard, tr.pending[0]); err != nil || n != 0 {
		t.Errorf("late read of the request body after the call returned: %d bytes, error %v; want 0 bytes and no error", n, err)
	}
}
