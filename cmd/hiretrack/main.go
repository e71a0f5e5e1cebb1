// Command hiretrack runs the hiretrack server and its operator commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hiretrack/hiretrack/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
