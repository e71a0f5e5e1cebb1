package main

import (
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// smtpSink is an SMTP server on a free port of 127.0.0.1 that accepts every
// message without TLS or AUTH, counts it and discards it.
type smtpSink struct {
	server    *smtp.Server
	addr      string
	delivered atomic.Int64
}

// startSMTPSink starts the sink in a new goroutine.
func startSMTPSink() (*smtpSink, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for SMTP on 127.0.0.1: %w", err)
	}
	sink := &smtpSink{addr: l.Addr().String()}
	sink.server = smtp.NewServer(sinkBackend{sink: sink})
	sink.server.Domain = "localhost"
	sink.server.ReadTimeout = 30 * time.Second
	sink.server.WriteTimeout = 30 * time.Second
	go func() { _ = sink.server.Serve(l) }()
	return sink, nil
}

// URL returns the smtp:// URL of the sink, without credentials.
func (s *smtpSink) URL() string { return "smtp://" + s.addr }

// Close stops the sink and closes its connections.
func (s *smtpSink) Close() error { return s.server.Close() }

// waitFor waits until at least n messages arrived and returns how long that
// took, or an error naming the count after timeout.
func (s *smtpSink) waitFor(n int64, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	for s.delivered.Load() < n {
		if time.Since(start) > timeout {
			return 0, fmt.Errorf("%d of %d queued emails arrived at the SMTP server within %s", s.delivered.Load(), n, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start), nil
}

type sinkBackend struct{ sink *smtpSink }

func (b sinkBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return sinkSession(b), nil }

// sinkSession is one SMTP connection; it keeps no state.
type sinkSession struct{ sink *smtpSink }

func (sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (sinkSession) Reset()                               {}
func (sinkSession) Logout() error                        { return nil }

func (s sinkSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s.sink.delivered.Add(1)
	return nil
}
