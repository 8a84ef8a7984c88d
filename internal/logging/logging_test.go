package logging

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestNewRejectsUnknownFormatAndLevel(t *testing.T) {
	_, err := New("xml", "info")
	require.Error(t, err)
	_, err = New("json", "loud")
	require.Error(t, err)
	for _, format := range []string{"json", "console"} {
		l, err := New(format, "debug")
		require.NoError(t, err)
		assert.True(t, l.Core().Enabled(zapcore.DebugLevel))
	}
}

func TestSDKLoggerSharesTheCore(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	sdk := SDK(zap.New(core))
	sdk.Debug("hidden")
	sdk.Info("started", "WorkflowID", "kyc-1")
	sdk.(log.WithLogger).With("Namespace", "default").Warn("slow")

	entries := logs.AllUntimed()
	require.Len(t, entries, 2)
	assert.Equal(t, "started", entries[0].Message)
	assert.Equal(t, map[string]any{"WorkflowID": "kyc-1"}, entries[0].ContextMap())
	assert.Equal(t, zapcore.WarnLevel, entries[1].Level)
	assert.Equal(t, map[string]any{"Namespace": "default"}, entries[1].ContextMap())
}
