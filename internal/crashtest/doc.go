// Package crashtest holds a test that kills the hiretrack binary with
// SIGKILL while it serves a load of advances, restarts it and checks that
// nothing it acknowledged was lost and nothing was half applied. It has no
// code of its own: see crash_test.go.
package crashtest
