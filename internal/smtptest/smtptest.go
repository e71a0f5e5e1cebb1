// Package smtptest runs a real SMTP server in the test process, so mail code
// can be tested against the protocol instead of a fake client. The server
// listens on 127.0.0.1 without TLS, accepts mail with or without AUTH PLAIN,
// accepts any credentials, and keeps every delivered message in memory.
package smtptest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// The credentials that URL puts in the server URL. The server accepts any
// credentials, so these only show up in Message.Username.
const (
	Username = "user"
	Password = "pass"
)

// ioTimeout bounds each read and write of a connection, so a stuck client
// cannot hold a test open.
const ioTimeout = 10 * time.Second

// Message is one delivered message.
type Message struct {
	// From is the envelope sender of the MAIL FROM command.
	From string

	// To are the envelope recipients of the RCPT TO commands.
	To []string

	// Data is the raw RFC 5322 message as the client sent it after DATA.
	Data []byte

	// Username is the AUTH PLAIN username of the session, or empty when the
	// client did not authenticate.
	Username string
}

// Server is an SMTP server for one test. Its methods are safe for concurrent use.
type Server struct {
	addr string

	// lifecycle serializes Stop and Restart.
	lifecycle sync.Mutex

	// running is the current server instance, or nil while stopped. It is
	// only read and written with lifecycle held.
	running *instance

	mu       sync.Mutex
	messages []Message
	arrived  chan struct{} // closed and replaced on each delivery
	failNext int
	delay    time.Duration
}

// instance is one listening period between Start or Restart and Stop.
type instance struct {
	smtp     *smtp.Server
	listener *trackingListener
	served   chan struct{} // closed when Serve returns
}

// Start starts a server on a free port of 127.0.0.1 and stops it when the
// test ends.
func Start(t testing.TB) *Server {
	t.Helper()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen on 127.0.0.1: %v", err)
	}

	s := &Server{addr: l.Addr().String(), arrived: make(chan struct{})}
	s.running = s.serve(l)
	t.Cleanup(s.Stop)
	return s
}

// Addr returns the address the server listens on, as "127.0.0.1:port".
func (s *Server) Addr() string { return s.addr }

// URL returns an smtp:// URL of the server with the Username and Password credentials.
func (s *Server) URL() string {
	return fmt.Sprintf("smtp://%s:%s@%s", Username, Password, s.addr)
}

// Messages returns a copy of the messages delivered so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()

	return s.copyMessages()
}

// WaitForMessages waits until at least n messages were delivered and returns
// all of them. It fails the test when that takes longer than timeout. Call
// it from the test goroutine, as t.Fatalf requires.
func (s *Server) WaitForMessages(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()

	timer := time.NewTimer(timeout)
	defer timer.Stop()

	for {
		s.mu.Lock()
		if len(s.messages) >= n {
			messages := s.copyMessages()
			s.mu.Unlock()
			return messages
		}
		arrived, count := s.arrived, len(s.messages)
		s.mu.Unlock()

		select {
		case <-arrived:
		case <-timer.C:
			t.Fatalf("smtptest: %d of %d expected messages arrived within %s", count, n, timeout)
			return nil
		}
	}
}

// FailNext makes the next n DATA commands fail with the temporary error 451
// after the client sent the whole message. Those messages are not recorded.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.failNext = n
}

// Delay makes the server wait d after it received each message and before
// it records the message and replies, as a slow mail server does. A client
// that dies during the wait leaves a message that was recorded but never
// acknowledged to it.
func (s *Server) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.delay = d
}

// Stop closes the listener and every open connection, so clients see the
// server as down until Restart. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.lifecycle.Lock()
	defer s.lifecycle.Unlock()

	s.stop()
}

// Restart stops the server if it runs and listens again on the same port.
// Delivered messages are kept. It fails the test when the port was taken in
// the meantime.
func (s *Server) Restart(t testing.TB) {
	t.Helper()

	s.lifecycle.Lock()
	defer s.lifecycle.Unlock()

	s.stop()

	l, err := net.Listen("tcp", s.addr)
	if err != nil {
		t.Fatalf("smtptest: listen again on %s: %v", s.addr, err)
	}
	s.running = s.serve(l)
}

// serve starts serving SMTP on l in a new goroutine.
func (s *Server) serve(l net.Listener) *instance {
	server := smtp.NewServer(backend{server: s})
	server.Domain = "localhost"
	server.AllowInsecureAuth = true
	server.ReadTimeout = ioTimeout
	server.WriteTimeout = ioTimeout

	running := &instance{
		smtp:     server,
		listener: &trackingListener{Listener: l, conns: make(map[net.Conn]struct{})},
		served:   make(chan struct{}),
	}
	go func() {
		defer close(running.served)
		_ = server.Serve(running.listener)
	}()
	return running
}

// stop stops the running instance. The caller holds s.lifecycle.
func (s *Server) stop() {
	if s.running == nil {
		return
	}

	// Close marks the server as closed before it closes its listeners, so
	// Serve returns nil instead of the accept error. The listener is closed
	// here as well because Close misses it when Serve has not registered it yet.
	_ = s.running.smtp.Close()
	_ = s.running.listener.Close()
	<-s.running.served

	s.running = nil
}

// deliver records a message, or returns a 451 error while FailNext is in effect.
func (s *Server) deliver(m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.failNext > 0 {
		s.failNext--
		return &smtp.SMTPError{
			Code:         451,
			EnhancedCode: smtp.EnhancedCode{4, 3, 0},
			Message:      "Temporary failure requested by the test",
		}
	}

	s.messages = append(s.messages, m)
	close(s.arrived)
	s.arrived = make(chan struct{})
	return nil
}

// copyMessages returns a deep copy of s.messages. The caller holds s.mu.
func (s *Server) copyMessages() []Message {
	messages := make([]Message, len(s.messages))
	for i, m := range s.messages {
		m.To = slices.Clone(m.To)
		m.Data = bytes.Clone(m.Data)
		messages[i] = m
	}
	return messages
}

// backend creates one session per connection.
type backend struct {
	server *Server
}

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &session{server: b.server}, nil
}

// session is the state of one SMTP connection. go-smtp calls its methods
// from the connection's goroutine only.
type session struct {
	server   *Server
	username string
	from     string
	to       []string
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, _ string) error {
		s.username = username
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}

	s.server.mu.Lock()
	delay := s.server.delay
	s.server.mu.Unlock()
	time.Sleep(delay)

	return s.server.deliver(Message{From: s.from, To: slices.Clone(s.to), Data: data, Username: s.username})
}

func (s *session) Reset() {
	s.from = ""
	s.to = nil
}

func (s *session) Logout() error { return nil }

// trackingListener remembers the connections it accepted, so that Close can
// close them too. go-smtp's own Server.Close misses a connection accepted just
// before it runs, because that connection is registered by a new goroutine.
type trackingListener struct {
	net.Listener

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}

	l.mu.Lock()
	defer l.mu.Unlock()

	if l.closed {
		_ = c.Close()
		return nil, net.ErrClosed
	}
	tracked := &trackedConn{Conn: c, listener: l}
	l.conns[tracked] = struct{}{}
	return tracked, nil
}

// Close closes the listener and every connection it accepted that is still open.
func (l *trackingListener) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	conns := make([]net.Conn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()

	// A trackedConn locks l.mu in its Close, so the connections are closed
	// after unlocking.
	for _, c := range conns {
		_ = c.Close()
	}
	return l.Listener.Close()
}

// trackedConn removes itself from its listener when closed.
type trackedConn struct {
	net.Conn
	listener *trackingListener
}

func (c *trackedConn) Close() error {
	c.listener.forget(c)
	return c.Conn.Close()
}

func (l *trackingListener) forget(c net.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()

	delete(l.conns, c)
}
