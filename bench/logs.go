package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// countingHandler writes the server's warnings and errors, and with
// verbose its info messages, to w. It counts error records and records that
// mention a busy SQLite database at any level, which fail the run.
type countingHandler struct {
	text  slog.Handler
	state *logState
}

type logState struct {
	mu     sync.Mutex
	errors int
	busy   int
	first  string
}

func newCountingHandler(w io.Writer, verbose bool) *countingHandler {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	return &countingHandler{text: slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}), state: &logState{}}
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	text := r.Message
	r.Attrs(func(a slog.Attr) bool {
		text += " " + a.String()
		return true
	})
	busy := strings.Contains(text, "SQLITE_BUSY") || strings.Contains(text, "database is locked")
	if r.Level >= slog.LevelError || busy {
		h.state.mu.Lock()
		if r.Level >= slog.LevelError {
			h.state.errors++
		}
		if busy {
			h.state.busy++
		}
		if h.state.first == "" {
			h.state.first = text
		}
		h.state.mu.Unlock()
	}
	if !h.text.Enabled(ctx, r.Level) {
		return nil
	}
	return h.text.Handle(ctx, r)
}

func (h *countingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &countingHandler{text: h.text.WithAttrs(attrs), state: h.state}
}

func (h *countingHandler) WithGroup(name string) slog.Handler {
	return &countingHandler{text: h.text.WithGroup(name), state: h.state}
}

// failure returns an error when the server logged an error or a busy
// database, naming the first such record.
func (h *countingHandler) failure() error {
	h.state.mu.Lock()
	defer h.state.mu.Unlock()
	if h.state.errors == 0 && h.state.busy == 0 {
		return nil
	}
	return fmt.Errorf("the server logged %d errors and %d busy-database messages; the first: %s", h.state.errors, h.state.busy, h.state.first)
}
