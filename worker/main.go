// Command worker runs the idflow Temporal worker and its HTTP gateway.
// With -dev it also runs an embedded Temporal server, its Web UI and the
// provider sandboxes, so that one command gives a working system.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/sethvargo/go-envconfig"

	"idflow/internal/app"
	"idflow/internal/config"
	"idflow/internal/logging"
)

func main() {
	dev := flag.Bool("dev", false, "run embedded Temporal, UI and provider sandboxes (state under IDFLOW_DEV_DIR)")
	sandboxes := flag.Bool("sandboxes", false, "run only the provider sandboxes (on IDFLOW_DEV_SANDBOX_ADDR, webhooks to IDFLOW_GATEWAY_URL)")
	flag.Parse()
	var err error
	switch {
	case *dev && *sandboxes:
		err = errors.New("-dev and -sandboxes exclude each other: -dev embeds the sandboxes unless IDFLOW_DEV_SANDBOX_URL points at a -sandboxes process")
	case *sandboxes:
		err = runSandboxes()
	default:
		err = run(*dev)
	}
	if err != nil {
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

// runSandboxes is `worker -sandboxes`: the provider sandboxes alone, which
// a worker killed with SIGKILL leaves exactly as they were.
func runSandboxes() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := config.LoadSandboxes(ctx, envconfig.OsLookuper())
	if err != nil {
		return err
	}
	log, err := logging.New(cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	return app.RunSandboxes(ctx, cfg, log, func(baseURL string) {
		fmt.Printf("\nidflow sandboxes are running (Ctrl-C stops them; state is kept in %s/)\n", cfg.DevDir)
		fmt.Printf("  Sandboxes   %s (counts: %s%s)\n  Webhooks to %s\n", baseURL, baseURL, app.CountsPath, cfg.GatewayURL)
		fmt.Printf("A worker uses them with IDFLOW_DEV_SANDBOX_URL=%s under -dev, or else with:\n  %s\n\n",
			baseURL, strings.Join(app.SandboxProviderEnv(baseURL), " \\\n  "))
	})
}

func printDevBanner(cfg config.Worker, info app.Info) {
	fmt.Print(devBanner(cfg, info))
}

// devBanner says where everything runs and what to try first. The API token
// is not printed: it is saved where the starter finds it.
func devBanner(cfg config.Worker, info app.Info) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nidflow -dev is running (Ctrl-C stops it; state is kept in %s/)\n", cfg.DevDir)
	fmt.Fprintf(&b, "  Temporal UI     %s\n  Temporal gRPC   %s\n  Gateway         %s\n", info.UIURL, info.TemporalAddress, info.GatewayURL)
	for i, sb := range info.Sandboxes {
		label := ""
		if i == 0 {
			label = "Sandboxes"
		}
		fmt.Fprintf(&b, "  %-15s %-9s %s\n", label, sb.Provider, sb.URL)
	}
	fmt.Fprintf(&b, "API token         saved in %s (the starter reads it; curl: -H \"Authorization: Bearer $(cat %s)\")\n",
		filepath.Join(cfg.DevDir, config.DevTokenFile), filepath.Join(cfg.DevDir, config.DevTokenFile))
	b.WriteString(`Try:  go run ./starter documents put README.md
      go run ./starter identify --request-id demo-1 --last-name Шариков --first-name Полиграф \
        --patronymic Полиграфович --passport 1111-111111 --snils 112-233-445\ 95 --phone +79001234567
      go run ./starter status simplified-identification-demo-1

`)
	return b.String()
}
