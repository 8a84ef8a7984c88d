// Package logging builds the project's zap logger and adapts it for the
// Temporal SDK and server, so that every log line shares one core and format.
//
// Log fields carry identifiers (workflow ids, document ids, provider session
// ids), never personal data: callers must not pass names, passport numbers,
// SNILS, INN or phone numbers.
package logging

import (
	"fmt"

	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// New returns a logger writing JSON ("json") or readable console lines
// ("console") at the given level (debug, info, warn, error) to stderr.
func New(format, level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("logging: %w", err)
	}
	var cfg zap.Config
	switch format {
	case "json":
		cfg = zap.NewProductionConfig()
		cfg.EncoderConfig.TimeKey = "time"
		cfg.EncoderConfig.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	case "console":
		cfg = zap.NewDevelopmentConfig()
		cfg.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
		cfg.EncoderConfig.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
		cfg.DisableStacktrace = true
	default:
		return nil, fmt.Errorf("logging: unknown format %q (want json or console)", format)
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.OutputPaths = []string{"stderr"}
	return cfg.Build()
}

// SDK adapts a zap logger to the Temporal SDK's logger interface.
func SDK(l *zap.Logger) log.Logger {
	return sdkLogger{l.WithOptions(zap.AddCallerSkip(1)).Sugar()}
}

type sdkLogger struct{ s *zap.SugaredLogger }

var (
	_ log.Logger          = sdkLogger{}
	_ log.WithLogger      = sdkLogger{}
	_ log.WithSkipCallers = sdkLogger{}
)

func (l sdkLogger) Debug(msg string, keyvals ...any) { l.s.Debugw(msg, keyvals...) }
func (l sdkLogger) Info(msg string, keyvals ...any)  { l.s.Infow(msg, keyvals...) }
func (l sdkLogger) Warn(msg string, keyvals ...any)  { l.s.Warnw(msg, keyvals...) }
func (l sdkLogger) Error(msg string, keyvals ...any) { l.s.Errorw(msg, keyvals...) }

// With returns a logger that adds keyvals to every line.
func (l sdkLogger) With(keyvals ...any) log.Logger { return sdkLogger{l.s.With(keyvals...)} }

// WithCallerSkip returns a logger that reports a caller further up the stack.
func (l sdkLogger) WithCallerSkip(depth int) log.Logger {
	return sdkLogger{l.s.WithOptions(zap.AddCallerSkip(depth))}
}
