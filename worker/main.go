// Command worker runs the idflow Temporal worker and its HTTP gateway.
// With -dev it also runs an embedded Temporal server, its Web UI and the
// provider sandboxes, so that one command gives a working system.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/sethvargo/go-envconfig"

	"idflow/internal/app"
	"idflow/internal/config"
	"idflow/internal/logging"
)

func main() {
	dev := flag.Bool("dev", false, "run embedded Temporal, UI and provider sandboxes (state under IDFLOW_DEV_DIR)")
	flag.Parse()
	if err := run(*dev); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run(dev bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := config.LoadWorker(ctx, envconfig.OsLookuper(), dev)
	if err != nil {
		return err
	}
	log, err := logging.New(cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	go func() {
		// A second Ctrl-C ends the process at once.
		<-ctx.Done()
		stop()
	}()
	return app.Run(ctx, app.Options{Config: cfg, Dev: dev, Logger: log, Ready: func(info app.Info) {
		if dev {
			printDevBanner(cfg, info)
		}
	}})
}

func printDevBanner(cfg config.Worker, info app.Info) {
	fmt.Printf(`
idflow -dev is running (Ctrl-C stops it; state is kept in %[1]s/)
  Temporal UI     %[2]s
  Temporal gRPC   %[3]s
  Gateway         %[4]s
  Sandboxes       %[7]s (Mandarin: /mandarin)
IDFLOW_API_TOKEN=%[5]s
  (saved in %[1]s/%[6]s, where the starter finds it)
Try:  go run ./starter documents put README.md
      go run ./starter identify --last-name Шариков --first-name Полиграф --patronymic Полиграфович \
        --passport 1111-111111 --snils 11223344595 --phone +79001234567

`, cfg.DevDir, info.UIURL, info.TemporalAddress, info.GatewayURL, info.APIToken, config.DevTokenFile, info.SandboxURL)
}
