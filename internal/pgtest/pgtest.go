// Package pgtest runs a throwaway PostgreSQL server for one test, which the
// test may stop and start again, as a database restart in production does.
// It uses the server binaries of the machine (initdb, pg_ctl) and, as root,
// runs them as the postgres user, because PostgreSQL refuses to run as root.
package pgtest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// BinEnv names a folder with initdb and pg_ctl. Without it, Start uses the
// newest /usr/lib/postgresql/<version>/bin, where Debian installs them.
const BinEnv = "HIRETRACK_TEST_PG_BIN"

// Server is a PostgreSQL server on 127.0.0.1 with trust authentication for
// the user postgres.
type Server struct {
	bin  string
	dir  string // holds data/, the socket and server.log
	port int
}

// Start creates a cluster in a temporary folder and starts its server. It
// fails the test, naming what is missing, when the binaries are not
// installed. The server is stopped and its files removed when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()

	bin, err := findBin()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}

	// t.TempDir is private to root, so the postgres user could not enter it.
	dir, err := os.MkdirTemp("", "hiretrack-pgtest-")
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	s := &Server{bin: bin, dir: dir}
	t.Cleanup(func() {
		_ = s.pgCtl("-m", "immediate", "stop")
		_ = os.RemoveAll(dir)
	})
	if err := s.own(); err != nil {
		t.Fatalf("pgtest: %v", err)
	}

	initdb := s.command(filepath.Join(bin, "initdb"), "-D", s.dataDir(), "-U", "postgres",
		"--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}

	// A free port is not known in advance: try a few at random.
	for range 5 {
		s.port = 20000 + rand.IntN(20000)
		if err = s.start(); err == nil {
			return s
		}
	}
	t.Fatalf("pgtest: %v", err)
	return nil
}

// URL returns the URL of the database postgres on the server.
func (s *Server) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// Stop shuts the server down in fast mode: it ends every session, as a
// restart by an operator does, and waits until the server has exited.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if err := s.pgCtl("-m", "fast", "stop"); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
}

// Restart starts the stopped server again on the same port.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.start(); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
}

// start starts the server on s.port and waits until it accepts connections.
// fsync is off because the data is thrown away.
func (s *Server) start() error {
	options := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c max_connections=100", s.port, s.dir)
	return s.pgCtl("-l", filepath.Join(s.dir, "server.log"), "-w", "-t", "60", "-o", options, "start")
}

// pgCtl runs pg_ctl on the cluster and returns its output with any error,
// followed by the server log when the command failed.
func (s *Server) pgCtl(args ...string) error {
	cmd := s.command(filepath.Join(s.bin, "pg_ctl"), append([]string{"-D", s.dataDir()}, args...)...)
	out, err := cmd.CombinedOutput()
	if err == nil {
		return nil
	}
	log, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
	return fmt.Errorf("pg_ctl %v: %w\n%s\nserver log:\n%s", args, err, out, log)
}

func (s *Server) dataDir() string { return filepath.Join(s.dir, "data") }

// command returns cmd with args, run as the postgres user when the test
// runs as root.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	if os.Geteuid() != 0 {
		return exec.Command(name, args...)
	}
	return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
}

// own hands the folder to the postgres user when the test runs as root.
func (s *Server) own() error {
	if err := os.Chmod(s.dir, 0o755); err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return nil
	}

	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("tests run as root, and PostgreSQL needs the user postgres to run as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(s.dir, uid, gid)
}

// findBin returns the folder of initdb and pg_ctl.
func findBin() (string, error) {
	if dir := os.Getenv(BinEnv); dir != "" {
		return dir, checkBin(dir)
	}

	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(a) - versionOf(b) })
	if len(dirs) == 0 {
		return "", fmt.Errorf("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin: install PostgreSQL (Debian: apt-get install postgresql) or set %s to the folder of initdb and pg_ctl", BinEnv)
	}
	dir := dirs[len(dirs)-1]
	return dir, checkBin(dir)
}

// versionOf returns the major version in a path /usr/lib/postgresql/<version>/bin.
func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func checkBin(dir string) error {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("PostgreSQL binary %s missing in %s: %w", name, dir, err)
		}
	}
	return nil
}
